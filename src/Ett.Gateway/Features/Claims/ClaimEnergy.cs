using Ett.Gateway.Errors;
using Ett.Gateway.Features.Certificates;
using Ett.Gateway.Features.Transfers;
using Ett.Gateway.Operations.Store;
using Ett.Gateway.Operations;
using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ett.Gateway.Features.Claims;

/// <summary>
/// Claims as one operation. ETT's registry fails (asynchronously) a claim whose certificates differ in period or grid
/// area, and ETT refuses (synchronously) a pair where only one certificate is a trial, so only such pairs are formed.
/// </summary>
internal sealed class ClaimEnergy(EttClient ett, AvailableCertificates certificates, OperationRunner runner)
{
    public async Task<IdempotentOutcome> RunAsync(Guid organizationId, ClaimRequest request, IdempotentAttempt attempt, CancellationToken cancellationToken)
    {
        if (attempt.ResumableOperationId is { } unfinished) return new IdempotentOutcome.Accepted(await runner.ResumeAsync(unfinished, attempt));

        var planned = request.IsExplicit
            ? await PlanPairAsync(organizationId, request, cancellationToken)
            : await PlanPeriodAsync(organizationId, request, cancellationToken);
        if (planned.Problem is { } problem) return new IdempotentOutcome.Rejected(problem);

        var operation = await runner.StartAsync(new NewOperation
        {
            OrganizationId = organizationId,
            CallerId = attempt.CallerId,
            Kind = OperationKind.Claim,
            RequestedWh = planned.Legs.Sum(leg => leg.QuantityWh),
            RequestJson = attempt.RequestJson,
            Legs = planned.Legs,
        }, attempt);
        return operation is null ? new IdempotentOutcome.Rejected(TransferToPartner.LeaseLost()) : new IdempotentOutcome.Accepted(operation);
    }

    private sealed record Plan(IReadOnlyList<PlannedLeg> Legs, ProblemHttpResult? Problem = null);

    /// <summary>Two ETT reads check the pair first, so a claim that cannot succeed answers 422 instead of a failed operation.</summary>
    private async Task<Plan> PlanPairAsync(Guid organizationId, ClaimRequest request, CancellationToken cancellationToken)
    {
        var production = await ett.GetCertificateAsync(organizationId, Wire(request.ProductionCertificateId!), cancellationToken);
        var consumption = await ett.GetCertificateAsync(organizationId, Wire(request.ConsumptionCertificateId!), cancellationToken);
        if (!production.CertificateType.Equals("production", StringComparison.OrdinalIgnoreCase)
            || !consumption.CertificateType.Equals("consumption", StringComparison.OrdinalIgnoreCase))
            return new Plan([], Mismatch("productionCertificateId must be a production and consumptionCertificateId a consumption certificate."));
        var (productionAvailable, consumptionAvailable) = (new AvailableCertificate(production, production.Quantity), new AvailableCertificate(consumption, consumption.Quantity));
        if (!Matches(productionAvailable, consumptionAvailable))
            return new Plan([], Mismatch("The certificates must cover the same period and grid area, and be both trial or both not."));

        var reserved = await certificates.ReservedAsync(organizationId, cancellationToken);
        var availableWh = Math.Min(
            production.Quantity - reserved.GetValueOrDefault(productionAvailable.Ref),
            consumption.Quantity - reserved.GetValueOrDefault(consumptionAvailable.Ref));
        if (availableWh < request.QuantityWh) return new Plan([], TransferToPartner.Insufficient(request.QuantityWh!.Value, Math.Max(0, availableWh)));

        return new Plan([new PlannedLeg
        {
            ProductionCertificate = productionAvailable.Ref,
            ConsumptionCertificate = consumptionAvailable.Ref,
            QuantityWh = request.QuantityWh!.Value,
        }]);
    }

    /// <summary>Pairs production and consumption of the same hour and grid area, oldest first, each for the smaller remainder.</summary>
    private async Task<Plan> PlanPeriodAsync(Guid organizationId, ClaimRequest request, CancellationToken cancellationToken)
    {
        var productions = await certificates.ListAsync(organizationId, "Production", request.From, request.To, request.GridArea, cancellationToken);
        var consumptions = await certificates.ListAsync(organizationId, "Consumption", request.From, request.To, request.GridArea, cancellationToken);

        var legs = new List<PlannedLeg>();
        foreach (var group in productions.GroupBy(Slot))
        {
            var demand = consumptions.Where(c => Slot(c) == group.Key).Select(c => (Certificate: c, Left: c.AvailableWh)).ToList();
            var next = 0;
            foreach (var production in group)
            {
                var left = production.AvailableWh;
                while (left > 0 && next < demand.Count)
                {
                    var quantity = Math.Min(left, demand[next].Left);
                    legs.Add(new PlannedLeg { ProductionCertificate = production.Ref, ConsumptionCertificate = demand[next].Certificate.Ref, QuantityWh = quantity });
                    left -= quantity;
                    demand[next] = (demand[next].Certificate, demand[next].Left - quantity);
                    if (demand[next].Left == 0) next++;
                }
            }
        }

        return legs.Count > 0
            ? new Plan(legs)
            : new Plan([], TypedResults.Problem("No available production and consumption certificates of the same hour and grid area in the period.",
                statusCode: StatusCodes.Status422UnprocessableEntity, title: "Nothing to claim", type: ProblemTypes.InsufficientQuantity,
                extensions: new Dictionary<string, object?> { ["availableWh"] = 0L }));
    }

    private static (long Start, long End, string GridArea, bool IsTrial) Slot(AvailableCertificate certificate) =>
        (certificate.Certificate.Start, certificate.Certificate.End, certificate.Certificate.GridArea.ToUpperInvariant(), certificate.IsTrial);

    private static bool Matches(AvailableCertificate production, AvailableCertificate consumption) => Slot(production) == Slot(consumption);

    private static EttFederatedStreamId Wire(CertificateId id) => new(id.Registry, id.StreamId);

    private static ProblemHttpResult Mismatch(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status422UnprocessableEntity, title: "Certificates cannot be claimed together", type: ProblemTypes.Validation);
}
