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
        return WalletApi.Paged(http, state, query, paging,
            wallet => WalletApi.SortedByKeyOnly(state.RowTieOrder(), Matching(state, wallet, start, end, timeMatch), c => c.UpdatedAt), WalletWire.Claim, c => c.UpdatedAt);
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
            && (start is null || (c.Production.Start >= start && c.Consumption.Start >= start))
            && (end is null || (c.Production.End <= end && c.Consumption.End <= end))
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
            var (productionId, consumptionId) = (body.ProductionCertificateId!, body.ConsumptionCertificateId!);
            var productionCertificate = state.Data.FindCertificate(productionId.Registry, productionId.StreamId!.Value);
            if (productionCertificate is null)
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest,
                    $"Unknown production certificate. Registry {productionId.Registry} and id {productionId.StreamId}.");
            }

            var consumptionCertificate = state.Data.FindCertificate(consumptionId.Registry, consumptionId.StreamId!.Value);
            if (consumptionCertificate is null)
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest,
                    $"Unknown consumption certificate. Registry {consumptionId.Registry} and id {consumptionId.StreamId}.");
            }

            // PW ClaimsController.IsOnlyOneTrial: checked in the POST, unlike period and grid area.
            if (IsTrial(productionCertificate) != IsTrial(consumptionCertificate))
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest, "Cannot claim when only one certificate is marked as trial. Both must be trial or neither.");
            }

            var quantity = (long)body.Quantity!.Value;
            var production = wallet.Holdings.GetValueOrDefault(productionCertificate.StreamId);
            var consumption = wallet.Holdings.GetValueOrDefault(consumptionCertificate.StreamId);
            if ((production?.RegisteringAndAvailable ?? 0) < quantity)
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest,
                    $"Claim is not allowed. Production certificate does not have enough quantity to claim requested amount. Production certificate amount: {production?.RegisteringAndAvailable ?? 0}. Requested claim quantity: {quantity}");
            }

            if ((consumption?.RegisteringAndAvailable ?? 0) < quantity)
            {
                return EttResults.WalletError(StatusCodes.Status400BadRequest,
                    $"Claim is not allowed. Consumption certificate does not have enough quantity to claim requested amount. Consumption certificate amount: {consumption?.RegisteringAndAvailable ?? 0}. Requested claim quantity: {quantity}");
            }

            // PW ClaimsController reserves in the POST; quantity still registering throws there
            // (QuantityNotYetAvailableToReserveException, unhandled in the controller: a 500).
            if (production!.Available < quantity || consumption!.Available < quantity)
            {
                return EttResults.Empty(StatusCodes.Status500InternalServerError);
            }

            var reservedConsumption = consumption.Reserve(quantity)!;
            if (production.Reserve(quantity) is not { } reservedProduction)
            {
                // One certificate named as both: its second reservation throws in ETT too.
                reservedConsumption.ForEach(s => s.State = SliceState.Available);
                return EttResults.Empty(StatusCodes.Status500InternalServerError);
            }

            var request = new RequestRecord(Guid.NewGuid(), wallet.OrganizationId, RequestKind.Claim, quantity);
            state.Data.RequestStatuses.Add(request.Id, request);
            state.Enqueue(data => Settle(state, data, request, production, reservedProduction, consumption, reservedConsumption));
            return EttResults.Accepted(http, "claimRequestId", request.Id);
        });
    }

    /// <summary>
    /// The registry's verdict, after the 202: certificates of different periods or grid areas (or not one production and
    /// one consumption) are accepted by the POST and fail here; their reservation is released.
    /// </summary>
    private static void Settle(
        SandboxState state, LedgerData data, RequestRecord request, Holding production, List<Slice> reservedProduction, Holding consumption,
        List<Slice> reservedConsumption)
    {
        var valid = production.Certificate.Type == SandboxCertificateType.Production
            && consumption.Certificate.Type == SandboxCertificateType.Consumption
            && production.Certificate.Start == consumption.Certificate.Start
            && production.Certificate.End == consumption.Certificate.End
            && production.Certificate.GridArea == consumption.Certificate.GridArea;
        var now = state.Now;
        if (valid)
        {
            data.ClaimSlices(production, reservedProduction, consumption, reservedConsumption, request.Quantity, request.Id, now);
        }
        else
        {
            reservedProduction.Concat(reservedConsumption).ToList().ForEach(s => s.State = SliceState.Available);
            production.UpdatedAt = consumption.UpdatedAt = now;
        }

        request.Status = valid ? RequestStatus.Completed : RequestStatus.Failed;
    }

    private static bool IsTrial(Certificate certificate) =>
        certificate.ClearAttributes.Any(a => string.Equals(a.Key, "IsTrial", StringComparison.OrdinalIgnoreCase)
            && string.Equals(a.Value, "true", StringComparison.OrdinalIgnoreCase));

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
