using Ett.Sandbox.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ett.Sandbox.Ett;

/// <summary>Certificates in the organization's wallet; only available quantity counts (§2.5).</summary>
internal static class CertificatesApi
{
    private enum SortBy
    {
        End,
        Quantity,
        Type,
    }

    private enum SortOrder
    {
        Asc,
        Desc,
    }

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

    public static void Map(IEndpointRouteBuilder wallet)
    {
        wallet.MapGet("/certificates", (HttpContext http, SandboxState state) => List(http, state, Paging.Offset));
        wallet.MapGet("/certificates/cursor", (HttpContext http, SandboxState state) => List(http, state, Paging.Cursor));
        wallet.MapGet("/certificates/{registry}/{streamId}", Get);
        wallet.MapGet("/aggregate-certificates", Aggregate);
    }

    private static IResult List(HttpContext http, SandboxState state, Paging paging)
    {
        var query = new QueryReader(http);
        var (start, end, type) = (query.Long("start"), query.Long("end"), query.Enum<SandboxCertificateType>("type"));
        // Only the offset form sorts; the cursor form orders by update time.
        var (sortBy, sort) = paging == Paging.Offset
            ? (query.Enum<SortBy>("sortBy") ?? SortBy.End, query.Enum<SortOrder>("sort") ?? SortOrder.Asc)
            : (SortBy.End, SortOrder.Asc);
        Func<Holding, long> key = sortBy switch
        {
            SortBy.Quantity => h => h.Available,
            SortBy.Type => h => (long)h.Certificate.Type,
            _ => h => h.Certificate.End,
        };
        return WalletApi.Paged(http, state, query, paging,
            wallet => sort == SortOrder.Desc ? Available(wallet, start, end, type).OrderByDescending(key) : Available(wallet, start, end, type).OrderBy(key),
            WalletWire.Certificate, h => h.UpdatedAt);
    }

    private static IResult Get(HttpContext http, SandboxState state, string registry, string streamId) =>
        WalletApi.WithWallet(http, state, wallet =>
            Guid.TryParse(streamId, out var id)
            && wallet.Holdings.TryGetValue(id, out var holding)
            && holding.Certificate.Registry == registry
            && holding.Available > 0
                ? EttResults.Ok(WalletWire.Certificate(holding))
                : EttResults.NotFound(http));

    private static IResult Aggregate(HttpContext http, SandboxState state)
    {
        var query = new QueryReader(http);
        query.Require("timeAggregate");
        query.Require("timeZone");
        var aggregate = query.Enum<TimeAggregate>("timeAggregate");
        var (start, end, type) = (query.Long("start"), query.Long("end"), query.Enum<SandboxCertificateType>("type"));
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
            var buckets = Available(wallet, start, end, type)
                .GroupBy(h => (Bucket: Bucket(h.Certificate, aggregate!.Value, timeZone), h.Certificate.Type))
                .Select(g => new
                {
                    start = g.Key.Bucket.Start ?? g.Min(h => h.Certificate.Start),
                    end = g.Key.Bucket.End ?? g.Max(h => h.Certificate.End),
                    quantity = g.Sum(h => h.Available),
                    type = WalletWire.TypeName(g.Key.Type),
                })
                .OrderBy(b => b.start)
                .ToList();
            return EttResults.Ok(WalletWire.Page(buckets, skip, limit));
        });
    }

    private static List<Holding> Available(Wallet wallet, long? start, long? end, SandboxCertificateType? type) =>
        wallet.Holdings.Values
            .Where(h => h.Available > 0
                && (start is null || h.Certificate.Start >= start)
                && (end is null || h.Certificate.End <= end)
                && (type is null || h.Certificate.Type == type))
            .ToList();

    /// <summary>The calendar period in the caller's time zone that a certificate's start falls in; null bounds mean "the group's own".</summary>
    private static (long? Start, long? End) Bucket(Certificate certificate, TimeAggregate aggregate, TimeZoneInfo timeZone)
    {
        if (aggregate == TimeAggregate.Actual)
        {
            return (certificate.Start, certificate.End);
        }

        if (aggregate == TimeAggregate.Total)
        {
            return (null, null);
        }

        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(certificate.Start), timeZone).DateTime;
        var (from, to) = aggregate switch
        {
            TimeAggregate.Year => (new DateTime(local.Year, 1, 1), new DateTime(local.Year, 1, 1).AddYears(1)),
            TimeAggregate.Month => (new DateTime(local.Year, local.Month, 1), new DateTime(local.Year, local.Month, 1).AddMonths(1)),
            TimeAggregate.Week => (local.Date.AddDays(-(((int)local.DayOfWeek + 6) % 7)), local.Date.AddDays(-(((int)local.DayOfWeek + 6) % 7) + 7)),
            TimeAggregate.Day => (local.Date, local.Date.AddDays(1)),
            TimeAggregate.Hour => (local.Date.AddHours(local.Hour), local.Date.AddHours(local.Hour + 1)),
            _ => (local.Date.AddHours(local.Hour).AddMinutes(local.Minute / 15 * 15), local.Date.AddHours(local.Hour).AddMinutes((local.Minute / 15 * 15) + 15)),
        };
        return (ToUnix(from, timeZone), ToUnix(to, timeZone));
    }

    private static long ToUnix(DateTime local, TimeZoneInfo timeZone) =>
        new DateTimeOffset(local, timeZone.GetUtcOffset(local)).ToUnixTimeSeconds();
}
