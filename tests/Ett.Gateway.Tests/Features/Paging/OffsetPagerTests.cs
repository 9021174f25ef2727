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

    /// <summary>
    /// ETT's offset list over 0..count-1, recording every (skip, limit) it was asked for. With <paramref name="tieKey"/>
    /// it sorts by that key only and, like the wallet's ORDER BY end_date, returns tied items in a new order every call.
    /// </summary>
    private sealed class FakeList(int count, Func<int, long>? tieKey = null)
    {
        private readonly Random _random = new(7);

        public List<(int Skip, int Limit)> Calls { get; } = [];

        public Task<EttPage<int>> FetchAsync(int skip, int limit)
        {
            Calls.Add((skip, limit));
            var all = tieKey is null ? Enumerable.Range(0, count) : Enumerable.Range(0, count).OrderBy(tieKey).ThenBy(_ => _random.Next());
            var items = all.Skip(skip).Take(limit).ToList();
            return Task.FromResult(new EttPage<int>(items, new EttPageInfo(items.Count, skip, limit, count)));
        }
    }

    private static async Task<List<Page<int>>> ReadAllAsync(FakeList list, int limit, Func<int, bool>? keep = null, Func<int, long>? orderKey = null)
    {
        var pages = new List<Page<int>>();
        string? cursor = null;
        do
        {
            var page = await OffsetPager.ReadAsync(new Query(limit, cursor), list.FetchAsync, i => i, keep, orderKey);
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

    [Theory]
    [InlineData(3, false)] // groups of five fill whole pages
    [InlineData(7, false)] // pages end inside groups
    [InlineData(4, true)]
    public async Task Items_that_ett_orders_arbitrarily_among_equals_are_read_once_each(int limit, bool filtered)
    {
        static long Hour(int i) => i / 5;
        var list = new FakeList(123, Hour);
        Func<int, bool>? keep = filtered ? i => i % 2 == 0 : null;

        var pages = await ReadAllAsync(list, limit, keep, orderKey: Hour);

        var read = pages.SelectMany(p => p.Items).ToList();
        Assert.Equal(Enumerable.Range(0, 123).Where(i => keep?.Invoke(i) ?? true), read.Order());
        Assert.All(pages.Zip(pages.Skip(1)), pair =>
            Assert.True(pair.First.Items.Count == 0 || pair.Second.Items.Count == 0 || Hour(pair.First.Items[^1]) < Hour(pair.Second.Items[0])));
    }

    [Fact]
    public async Task Page_backs_off_to_where_equal_keys_start_and_costs_one_call()
    {
        static long Hour(int i) => i / 5;
        var list = new FakeList(100, Hour);

        var page = await OffsetPager.ReadAsync(new Query(12, null), list.FetchAsync, i => i, orderKey: Hour);

        Assert.Equal(10, page.Items.Count);
        Assert.Equal([(0, 13)], list.Calls);
        Assert.True(PageCursor.TryDecode(page.NextCursor!, out var offset, out _));
        Assert.Equal(10, offset);
    }

    [Fact]
    public async Task Page_holds_every_item_of_a_key_that_fills_more_than_the_page()
    {
        var list = new FakeList(30, i => i < 25 ? 0 : 1);

        var page = await OffsetPager.ReadAsync(new Query(10, null), list.FetchAsync, i => i, orderKey: i => i < 25 ? 0 : 1);

        Assert.Equal(Enumerable.Range(0, 25), page.Items.Order());
        Assert.True(PageCursor.TryDecode(page.NextCursor!, out var offset, out _));
        Assert.Equal(25, offset);
    }
}
