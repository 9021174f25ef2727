using Ett.Sandbox.Ledger;
using Microsoft.AspNetCore.Http;

namespace Ett.Sandbox.Ett;

/// <summary>
/// The wallet's aggregate-* endpoints: quantities summed per calendar period of the caller's IANA time zone. Both
/// <c>timeAggregate</c> and <c>timeZone</c> are required; an unknown zone is the bare string "Invalid time zone".
/// </summary>
internal static class Aggregation
{
    private enum TimeAggregate
    {
        Actual,
        Total,
        Year,
        Month,
        Week,
        Day,
        Hour,
        QuarterHour,
    }

    /// <summary>One aggregated item: its period, its quantity and, for certificates only, its type.</summary>
    public sealed record Entry(long Start, long End, long Quantity, SandboxCertificateType? Type);

    public static IResult Respond(HttpContext http, SandboxState state, QueryReader query, Func<Wallet, long?, long?, IEnumerable<Entry>> matching)
    {
        query.Require("timeAggregate");
        query.Require("timeZone");
        var aggregate = query.Enum<TimeAggregate>("timeAggregate");
        var (start, end) = (query.Long("start"), query.Long("end"));
        var (limit, skip) = (query.Int("limit"), query.Int("skip"));
        if (query.HasErrors)
        {
            return query.Problem();
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(query.String("timeZone")!, out var timeZone))
        {
            return EttResults.WalletError(StatusCodes.Status400BadRequest, "Invalid time zone");
        }

        return WalletApi.WithWallet(http, state, wallet =>
        {
            var buckets = matching(wallet, start, end)
                .GroupBy(e => (Bucket: Bucket(e, aggregate!.Value, timeZone), e.Type))
                .Select(g => new Entry(
                    g.Key.Bucket.Start ?? g.Min(e => e.Start), g.Key.Bucket.End ?? g.Max(e => e.End), g.Sum(e => e.Quantity), g.Key.Type))
                .OrderBy(b => b.Start)
                .Select(b => b.Type is { } type
                    ? (object)new { start = b.Start, end = b.End, quantity = b.Quantity, type = WalletWire.TypeName(type) }
                    : new { start = b.Start, end = b.End, quantity = b.Quantity })
                .ToList();
            return EttResults.Ok(WalletWire.Page(buckets, skip, limit));
        });
    }

    /// <summary>The period a start falls in, in the caller's time zone; null bounds mean "the group's own".</summary>
    private static (long? Start, long? End) Bucket(Entry entry, TimeAggregate aggregate, TimeZoneInfo timeZone)
    {
        if (aggregate == TimeAggregate.Actual)
        {
            return (entry.Start, entry.End);
        }

        if (aggregate == TimeAggregate.Total)
        {
            return (null, null);
        }

        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(entry.Start), timeZone).DateTime;
        var hour = local.Date.AddHours(local.Hour);
        var monday = local.Date.AddDays(-(((int)local.DayOfWeek + 6) % 7));
        var quarter = hour.AddMinutes(local.Minute / 15 * 15);
        var (from, to) = aggregate switch
        {
            TimeAggregate.Year => (new DateTime(local.Year, 1, 1), new DateTime(local.Year, 1, 1).AddYears(1)),
            TimeAggregate.Month => (new DateTime(local.Year, local.Month, 1), new DateTime(local.Year, local.Month, 1).AddMonths(1)),
            TimeAggregate.Week => (monday, monday.AddDays(7)),
            TimeAggregate.Day => (local.Date, local.Date.AddDays(1)),
            TimeAggregate.Hour => (hour, hour.AddHours(1)),
            _ => (quarter, quarter.AddMinutes(15)),
        };
        return (ToUnix(from, timeZone), ToUnix(to, timeZone));
    }

    private static long ToUnix(DateTime local, TimeZoneInfo timeZone) =>
        new DateTimeOffset(local, timeZone.GetUtcOffset(local)).ToUnixTimeSeconds();
}
