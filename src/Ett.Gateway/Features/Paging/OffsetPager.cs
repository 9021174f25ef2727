using System.Runtime.InteropServices;
using Ett.Gateway.Upstream;
using Ett.Gateway.Validation;

namespace Ett.Gateway.Features.Paging;

/// <summary>
/// Reads one gateway page from an ETT offset-paged list (<c>skip</c>/<c>limit</c>, ETT-API.md §7). The cursor keeps the
/// ETT offset just past the last item the page consumed, so consecutive pages neither repeat nor skip an item as long as
/// ETT returns the same order every time and the list does not change in between.
/// </summary>
internal static class OffsetPager
{
    /// <summary>
    /// ETT calls that fill one gateway page. Only reached when the gateway filters (e.g. by grid area) and little
    /// matches: the page then holds fewer items than asked, and its cursor resumes the scan.
    /// </summary>
    public const int MaxCallsPerPage = 10;

    /// <param name="query">The page size and the cursor to continue from.</param>
    /// <param name="fetch">One ETT page at (skip, limit).</param>
    /// <param name="map">ETT's item as callers see it.</param>
    /// <param name="keep">A filter ETT cannot apply, or null. With one, ETT is read in larger batches and the total is unknown.</param>
    /// <param name="orderKey">
    /// The key ETT sorts by, when it has no tie-breaker: the page never ends between two items with the same key,
    /// because ETT may return tied items in a different order for every skip/limit.
    /// </param>
    public static async Task<Page<TItem>> ReadAsync<TWire, TItem>(
        IPagedQuery query,
        Func<int, int, Task<EttPage<TWire>>> fetch,
        Func<TWire, TItem> map,
        Func<TWire, bool>? keep = null,
        Func<TWire, long>? orderKey = null)
    {
        var (wire, nextCursor, total) = await ReadItemsAsync(query, fetch, keep, orderKey);
        var items = new List<TItem>(wire.Count);
        foreach (var item in CollectionsMarshal.AsSpan(wire)) items.Add(map(item));
        return new Page<TItem> { Items = items, NextCursor = nextCursor, TotalCount = total };
    }

    /// <summary>As the other overload, for items written as ETT sent them: the page holds ETT's list itself, cut to size.</summary>
    public static async Task<Page<TItem>> ReadAsync<TItem>(
        IPagedQuery query,
        Func<int, int, Task<EttPage<TItem>>> fetch,
        Func<TItem, bool>? keep = null,
        Func<TItem, long>? orderKey = null)
    {
        var (items, nextCursor, total) = await ReadItemsAsync(query, fetch, keep, orderKey);
        return new Page<TItem> { Items = items, NextCursor = nextCursor, TotalCount = total };
    }

    private static async Task<(List<TWire> Items, string? NextCursor, int? Total)> ReadItemsAsync<TWire>(
        IPagedQuery query,
        Func<int, int, Task<EttPage<TWire>>> fetch,
        Func<TWire, bool>? keep,
        Func<TWire, long>? orderKey)
    {
        var limit = query.PageSize();
        var start = PageCursor.OffsetOf(query.Cursor);
        var scan = new Scan<TWire>(fetch, start, orderKey);
        // With an order key, one more than the page: the scan ends every ETT page where a run of equal keys starts.
        var lookahead = orderKey is null ? 0 : 1;
        int Batch(int kept) => keep is null ? limit - kept + lookahead : Math.Min(RequestRules.MaxPageLimit, limit * 2);

        var (cut, kept) = (0, 0);
        while (kept < limit)
        {
            if (cut == scan.Items.Count)
            {
                if (scan.Exhausted || scan.Calls >= MaxCallsPerPage) break;
                // Unfiltered, ETT was asked for the whole page: if it ended in a run of equal keys, so does this page.
                if (keep is null && orderKey is not null && scan.Calls > 0) break;
                await scan.FetchMoreAsync(Batch(kept));
                continue;
            }
            if (keep?.Invoke(scan.Items[cut]) != false) kept++;
            cut++;
        }
        if (orderKey is not null) cut = BetweenKeys(scan.Items, cut, orderKey);

        // The scan's list is the page's: cut to size and filtered in place.
        var items = scan.Items;
        var more = cut < items.Count || !scan.Exhausted;
        items.RemoveRange(cut, items.Count - cut);
        if (keep is not null) items.RemoveAll(item => !keep(item));
        return (items, more ? PageCursor.Encode(start + cut, query.Fingerprint) : null, keep is null ? scan.Total : null);
    }

    /// <summary>
    /// A whole ETT list, read as <see cref="ReadItemsAsync"/> reads pages: each run of items with equal key comes from one
    /// ETT answer. Consistent is false when ETT's total changed between calls (items vanished or appeared meanwhile,
    /// so one may have been skipped or repeated).
    /// </summary>
    public static async Task<(IReadOnlyList<TWire> Items, bool Consistent)> ReadAllAsync<TWire>(
        Func<int, int, Task<EttPage<TWire>>> fetch, Func<TWire, long>? orderKey, int batch)
    {
        var scan = new Scan<TWire>(fetch, 0, orderKey);
        while (!scan.Exhausted) await scan.FetchMoreAsync(batch);
        return (scan.Items, !scan.TotalChanged);
    }

    /// <summary>
    /// Moves a cut that would split items of equal key: back to where they start, or, when they fill the whole page,
    /// forward past the last of them (the page then holds more than asked). The scan ends between keys, so the run
    /// ends within it.
    /// </summary>
    private static int BetweenKeys<TWire>(List<TWire> items, int cut, Func<TWire, long> orderKey)
    {
        if (cut == 0 || cut == items.Count || orderKey(items[cut]) != orderKey(items[cut - 1])) return cut;
        var key = orderKey(items[cut - 1]);
        var runStart = cut - 1;
        while (runStart > 0 && orderKey(items[runStart - 1]) == key) runStart--;
        if (runStart > 0) return runStart;
        while (cut < items.Count && orderKey(items[cut]) == key) cut++;
        return cut;
    }

    /// <summary>
    /// ETT's list from one offset on, as far as it has been fetched. With an order key every fetch ends where a run of
    /// equal keys starts, so each run is read from a single ETT answer, in the one order that answer gave it.
    /// </summary>
    private sealed class Scan<TWire>(Func<int, int, Task<EttPage<TWire>>> fetch, int start, Func<TWire, long>? orderKey)
    {
        /// <summary>Beyond this many items with one key, the gateway gives up reading them in one ETT call.</summary>
        private const int MaxRun = 100_000;

        public List<TWire> Items { get; private set; } = [];
        public bool Exhausted { get; private set; }
        public int? Total { get; private set; }
        public bool TotalChanged { get; private set; }
        public int Calls { get; private set; }

        /// <summary>The first <paramref name="count"/> of an answer's items; the first answer's own list, not a copy of it.</summary>
        private void Add(IReadOnlyList<TWire> items, int count)
        {
            if (Items.Count == 0 && items is List<TWire> list)
            {
                if (count < list.Count) list.RemoveRange(count, list.Count - count);
                Items = list;
                return;
            }
            for (var i = 0; i < count; i++) Items.Add(items[i]);
        }

        public async Task FetchMoreAsync(int batch)
        {
            var skip = start + Items.Count;
            while (true)
            {
                var page = await fetch(skip, batch);
                Calls++;
                var items = page.Items;
                if (Calls > 1 && Total != page.Metadata?.Total) TotalChanged = true;
                Total = page.Metadata?.Total;
                // ETT's metadata.total ignores skip and limit, so it tells whether anything follows without another call.
                Exhausted = items.Count == 0
                    || (page.Metadata is { } meta ? skip + items.Count >= meta.Total : items.Count < batch);
                if (Exhausted || orderKey is null)
                {
                    Add(items, items.Count);
                    return;
                }

                var key = orderKey(items[^1]);
                var runStart = items.Count - 1;
                while (runStart > 0 && orderKey(items[runStart - 1]) == key) runStart--;
                if (runStart > 0 || batch >= MaxRun)
                {
                    Add(items, runStart > 0 ? runStart : items.Count);
                    return;
                }
                // The whole answer is one key: ask again for more, so the run comes from one answer.
                batch *= 2;
            }
        }
    }
}
