using Ett.Gateway.Features.Paging;
using Ett.Gateway.Upstream;

namespace Ett.Gateway.Tests.Features.Paging;

public class OffsetPagerTests
{
    private sealed record Query(int? Limit, string? Cursor) : IPagedQuery
    {
        public DateTimeOffset? From => null;
        public DateTimeOffset? To => null;
        public string Fingerprint => "f";
    }

    /// <summary>ETT's offset list over 0..count-1, recording every (skip, limit) it was asked for.</summary>
    private sealed class FakeList(int count)
    {
        public List<(int Skip, int Limit)> Calls { get; } = [];

        public Task<EttPage<int>> FetchAsync(int skip, int limit)
        {
            Calls.Add((skip, limit));
            var items = Enumerable.Range(0, count).Skip(skip).Take(limit).ToList();
            return Task.FromResult(new EttPage<int>(items, new EttPageInfo(items.Count, skip, limit, count)));
        }
    }

    private static async Task<List<Page<int>>> ReadAllAsync(FakeList list, int limit, Func<int, bool>? keep = null)
    {
        var pages = new List<Page<int>>();
        string? cursor = null;
        do
        {
            var page = await OffsetPager.ReadAsync(new Query(limit, cursor), list.FetchAsync, i => i, keep);
            pages.Add(page);
            cursor = page.NextCursor;
        } while (cursor is not null && pages.Count < 100);
        return pages;
    }

    [Fact]
    public async Task Unfiltered_pages_cost_one_call_each_and_the_last_full_page_ends_the_list()
    {
        var list = new FakeList(10);

        var pages = await ReadAllAsync(list, limit: 5);

        Assert.Equal([(0, 5), (5, 5)], list.Calls);
        Assert.Equal(Enumerable.Range(0, 10), pages.SelectMany(p => p.Items));
        Assert.Null(pages[^1].NextCursor);
        Assert.All(pages, p => Assert.Equal(10, p.TotalCount));
    }

    [Fact]
    public async Task Filtered_pages_resume_right_after_the_last_item_they_consumed()
    {
        var list = new FakeList(103);

        var pages = await ReadAllAsync(list, limit: 4, keep: i => i % 3 == 0);

        Assert.Equal(Enumerable.Range(0, 103).Where(i => i % 3 == 0), pages.SelectMany(p => p.Items));
        Assert.All(pages[..^1], p => Assert.Equal(4, p.Items.Count));
        Assert.All(pages, p => Assert.Null(p.TotalCount));
        Assert.All(list.Calls, c => Assert.Equal(8, c.Limit));
    }

    [Fact]
    public async Task Filtered_page_that_finds_little_stops_after_a_bounded_number_of_calls_and_can_be_continued()
    {
        var list = new FakeList(1000);

        var pages = await ReadAllAsync(list, limit: 1, keep: i => i == 999);

        Assert.Equal(OffsetPager.MaxCallsPerPage, list.Calls.Count(c => c.Skip < OffsetPager.MaxCallsPerPage * 2));
        Assert.Empty(pages[0].Items);
        Assert.NotNull(pages[0].NextCursor);
        Assert.Equal([999], pages.SelectMany(p => p.Items));
        Assert.Null(pages[^1].NextCursor);
    }
}
