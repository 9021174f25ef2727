using Ett.Sandbox.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ett.Sandbox.Ett;

/// <summary>Claims: quantity is reserved during the POST; the registry's verdict arrives in the background (§8).</summary>
internal static class ClaimsApi
{
    private enum TimeMatch
    {
        Hourly,
        All,
    }

    public static void Map(IEndpointRouteBuilder wallet)
    {
        wallet.MapGet("/claims", (HttpContext http, SandboxState state) => List(http, state, Paging.Offset));
        wallet.MapGet("/claims/cursor", (HttpContext http, SandboxState state) => List(http, state, Paging.Cursor));
        wallet.MapGet("/aggregate-claims", Aggregate);
        wallet.MapPost("/claims", Create);
    }

    // The cursor form ignores the type parameter and always matches hourly.
    private static IResult List(HttpContext http, SandboxState state, Paging paging)
    {
        var query = new QueryReader(http);
        var (start, end) = (query.Long("start"), query.Long("end"));
        var timeMatch = paging == Paging.Offset ? query.Enum<TimeMatch>("timeMatch") ?? TimeMatch.Hourly : TimeMatch.Hourly;
        return WalletApi.Paged(http, state, query, paging, wallet => Matching(state, wallet, start, end, timeMatch), WalletWire.Claim, c => c.UpdatedAt);
    }

    // The proxy adds TrialFilter from the token's org_status, so only claims of the caller's kind are counted.
    private static IResult Aggregate(HttpContext http, SandboxState state)
    {
        var isTrial = EttGate.CallerOf(http).IsTrial ? "true" : "false";
        return Aggregation.Respond(http, state, new QueryReader(http), (wallet, start, end) => Matching(state, wallet, start, end, TimeMatch.Hourly)
            .Where(c => c.Production.ClearAttributes.GetValueOrDefault("isTrial") == isTrial)
            .Select(c => new Aggregation.Entry(c.Production.Start, c.Production.End, c.Quantity, Type: null)));
    }

    private static IEnumerable<ClaimRecord> Matching(SandboxState state, Wallet wallet, long? start, long? end, TimeMatch timeMatch) =>
        state.Data.Claims.Where(c => c.Owner == wallet
            && (start is null || c.Production.Start >= start)
            && (end is null || c.Production.End <= end)
            && (timeMatch == TimeMatch.All || Math.Abs(c.Production.Start - c.Consumption.Start) < 3600));

    private static IResult Create(HttpContext http, SandboxState state)
    {
        if (!BodyReader.TryRead<ClaimBody>(http, out var body, out var error))
        {
            return error;
        }

        if (BodyReader.Missing(http,
                ("ProductionCertificateId", body.ProductionCertificateId?.StreamId is not null && body.ProductionCertificateId.Registry is not null),
                ("ConsumptionCertificateId", body.ConsumptionCertificateId?.StreamId is not null && body.ConsumptionCertificateId.Registry is not null),
                ("Quantity", body.Quantity is > 0)) is { } missing)
        {
            return missing;
        }

        return WalletApi.WithWallet(http, state, wallet =>
        {
            var production = Find(wallet, body.ProductionCertificateId!);
            var consumption = Find(wallet, body.ConsumptionCertificateId!);
            if (production is null || consumption is null)
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest, "Certificate not found.");
            }

            if (production.Certificate.ClearAttributes.GetValueOrDefault("isTrial") != consumption.Certificate.ClearAttributes.GetValueOrDefault("isTrial"))
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest, "Trial and non-trial certificates cannot be claimed together.");
            }

            var quantity = (long)body.Quantity!.Value;
            if (production.Available < quantity || consumption.Available < quantity)
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest, "Quantity is larger than the available quantity on the certificates.");
            }

            var reserved = production.Reserve(quantity).Concat(consumption.Reserve(quantity)).ToList();
            var request = new RequestRecord(Guid.NewGuid(), wallet.OrganizationId);
            state.Data.RequestStatuses.Add(request.Id, request);
            state.Enqueue(_ => Settle(state, request, production, consumption, reserved, quantity));
            return EttResults.Accepted(http, "claimRequestId", request.Id);
        });
    }

    /// <summary>The registry's electricity verifier rejects a claim whose certificates differ in period or grid area.</summary>
    private static void Settle(SandboxState state, RequestRecord request, Holding production, Holding consumption, List<Slice> reserved, long quantity)
    {
        var valid = production.Certificate.Type == SandboxCertificateType.Production
            && consumption.Certificate.Type == SandboxCertificateType.Consumption
            && production.Certificate.Start == consumption.Certificate.Start
            && production.Certificate.End == consumption.Certificate.End
            && production.Certificate.GridArea == consumption.Certificate.GridArea;
        var now = state.Now;
        reserved.ForEach(s => s.State = valid ? SliceState.Claimed : SliceState.Available);
        production.UpdatedAt = consumption.UpdatedAt = now;
        if (valid)
        {
            state.Data.Claims.Add(new ClaimRecord(Guid.NewGuid(), production.Wallet, quantity, production.Certificate, consumption.Certificate, now));
        }

        request.Status = valid ? RequestStatus.Completed : RequestStatus.Failed;
    }

    private static Holding? Find(Wallet wallet, StreamIdBody id) =>
        wallet.Holdings.TryGetValue(id.StreamId!.Value, out var holding) && holding.Certificate.Registry == id.Registry ? holding : null;

    private sealed class ClaimBody
    {
        public StreamIdBody? ProductionCertificateId { get; init; }
        public StreamIdBody? ConsumptionCertificateId { get; init; }
        public uint? Quantity { get; init; }
    }
}

internal sealed class StreamIdBody
{
    public string? Registry { get; init; }
    public Guid? StreamId { get; init; }
}
