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
            wallet => WalletApi.SortedByKeyOnly(state.TieOrder, Available(wallet, start, end, type), key, descending: sort == SortOrder.Desc),
            WalletWire.Certificate, h => h.UpdatedAt);
    }

    // PW CertificateRepository.QueryCertificate reads certificates_query_model (v2-0008.sql), which keeps fully used
    // certificates: 200 with quantity 0 once all is claimed, transferred or reserved; 404 only if never held.
    private static IResult Get(HttpContext http, SandboxState state, string registry, string streamId) =>
        WalletApi.WithWallet(http, state, wallet =>
            Guid.TryParse(streamId, out var id)
            && wallet.Holdings.TryGetValue(id, out var holding)
            && holding.Certificate.Registry == registry
                ? EttResults.Ok(WalletWire.Certificate(holding))
                : EttResults.NotFound(http));

    private static IResult Aggregate(HttpContext http, SandboxState state)
    {
        var query = new QueryReader(http);
        var type = query.Enum<SandboxCertificateType>("type");
        return Aggregation.Respond(http, state, query, (wallet, start, end) => Available(wallet, start, end, type)
            .Select(h => new Aggregation.Entry(h.Certificate.Start, h.Certificate.End, h.Available, h.Certificate.Type)));
    }

    private static List<Holding> Available(Wallet wallet, long? start, long? end, SandboxCertificateType? type) =>
        wallet.Holdings.Values
            .Where(h => h.Available > 0
                && (start is null || h.Certificate.Start >= start)
                && (end is null || h.Certificate.End <= end)
                && (type is null || h.Certificate.Type == type))
            .ToList();
}
