using Ett.Gateway.Upstream;
using Ett.Gateway.Validation;

namespace Ett.Gateway.Features.Paging;

/// <summary>
/// Reads one gateway page from an ETT offset-paged list (<c>skip</c>/<c>limit</c>, ETT-API.md §7). The cursor keeps the
/// ETT offset just past the last item ETT returned that the gateway consumed, so consecutive pages neither repeat nor
/// skip an item as long as ETT's order is stable and the list does not change in between.
/// </summary>
internal static class OffsetPager
{
    /// <summary>
    /// ETT calls per gateway page. Only reached when the gateway filters (e.g. by grid area) and little matches: the page
    /// then holds fewer items than asked, and its cursor resumes the scan.
    /// </summary>
    public const int MaxCallsPerPage = 10;

    /// <param name="query">The page size and the cursor to continue from.</param>
    /// <param name="fetch">One ETT page at (skip, limit).</param>
    /// <param name="map">ETT's item as callers see it.</param>
    /// <param name="keep">A filter ETT cannot apply, or null. With one, ETT is read in larger batches and the total is unknown.</param>
    public static async Task<Page<TItem>> ReadAsync<TWire, TItem>(
        IPagedQuery query,
        Func<int, int, Task<EttPage<TWire>>> fetch,
        Func<TWire, TItem> map,
        Func<TWire, bool>? keep = null)
    {
        var limit = query.PageSize();
        var offset = PageCursor.OffsetOf(query.Cursor);
        var items = new List<TItem>(limit);
        int? total = null;

        for (var call = 1; ; call++)
        {
            var start = offset;
            var requested = keep is null ? limit - items.Count : Math.Min(RequestRules.MaxPageLimit, limit * 2);
            var page = await fetch(start, requested);
            var batch = page.Items;
            if (keep is null) total = page.Metadata?.Total;
            // ETT's metadata.total ignores skip and limit, so it tells whether anything follows without another call.
            var exhausted = batch.Count == 0
                || (page.Metadata is { } meta ? start + batch.Count >= meta.Total : batch.Count < requested);

            for (var i = 0; i < batch.Count; i++)
            {
                offset++;
                if (keep is not null && !keep(batch[i])) continue;
                items.Add(map(batch[i]));
                if (items.Count == limit)
                {
                    var more = i < batch.Count - 1 || !exhausted;
                    return Result(items, more ? offset : null, total, query);
                }
            }

            if (exhausted) return Result(items, null, total, query);
            if (call == MaxCallsPerPage) return Result(items, offset, total, query);
        }
    }

    private static Page<TItem> Result<TItem>(List<TItem> items, int? nextOffset, int? total, IPagedQuery query) => new()
    {
        Items = items,
        NextCursor = nextOffset is { } next ? PageCursor.Encode(next, query.Fingerprint) : null,
        TotalCount = total,
    };
}
