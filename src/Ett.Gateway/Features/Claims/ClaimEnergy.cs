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

        var plan = request.IsExplicit
            ? await PlanPairAsync(organizationId, request, cancellationToken)
            : await PlanPeriodAsync(organizationId, request, cancellationToken);
        if (plan.Problem is { } problem) return new IdempotentOutcome.Rejected(problem);

        ProblemHttpResult? refusal = null;
        var reservation = await runner.StartAsync(organizationId, reserved =>
        {
            var (legs, shortfall) = plan.Legs!(reserved);
            if (shortfall is not null)
            {
                refusal = shortfall;
                return null;
            }
            return new NewOperation
            {
                OrganizationId = organizationId,
                CallerId = attempt.CallerId,
                Kind = OperationKind.Claim,
                RequestedWh = legs.Sum(leg => leg.QuantityWh),
                RequestJson = attempt.RequestJson,
                CorrelationId = attempt.CorrelationId,
                Legs = legs,
            };
        }, attempt, plan.ReadAt);
        return IdempotentOutcome.Of(reservation, refusal);
    }

    /// <summary>The legs given what open legs still reserve, or why there is not enough: run under the organization's lock.</summary>
    private delegate (IReadOnlyList<PlannedLeg> Legs, ProblemHttpResult? Shortfall) Legs(ReservedCertificates reserved);

    /// <summary>What ETT's reads allow (Legs) and when the first of them began, or a problem found before any reservation.</summary>
    private sealed record Plan(Legs? Legs, ProblemHttpResult? Problem = null, DateTimeOffset? ReadAt = null);

    /// <summary>Two ETT reads check the pair first, so a claim that cannot succeed answers 422 instead of a failed operation.</summary>
    private async Task<Plan> PlanPairAsync(Guid organizationId, ClaimRequest request, CancellationToken cancellationToken)
    {
        var production = await ett.GetCertificateAsync(organizationId, Wire(request.ProductionCertificateId!), cancellationToken);
        var consumption = await ett.GetCertificateAsync(organizationId, Wire(request.ConsumptionCertificateId!), cancellationToken);
        if (!production.CertificateType.Equals("production", StringComparison.OrdinalIgnoreCase)
            || !consumption.CertificateType.Equals("consumption", StringComparison.OrdinalIgnoreCase))
            return new Plan(null, Mismatch("productionCertificateId must be a production and consumptionCertificateId a consumption certificate."));
        var (productionAvailable, consumptionAvailable) = (new AvailableCertificate(production, production.Quantity), new AvailableCertificate(consumption, consumption.Quantity));
        if (!Matches(productionAvailable, consumptionAvailable))
            return new Plan(null, Mismatch("The certificates must cover the same period and grid area, and be both trial or both not."));

        var quantityWh = request.QuantityWh!.Value;
        return new Plan(reserved =>
        {
            var availableWh = Math.Min(productionAvailable.Less(reserved).AvailableWh, consumptionAvailable.Less(reserved).AvailableWh);
            if (availableWh < quantityWh) return ([], TransferToPartner.Insufficient(quantityWh, Math.Max(0, availableWh)));
            return ([new PlannedLeg
            {
                ProductionCertificate = productionAvailable.Ref,
                ConsumptionCertificate = consumptionAvailable.Ref,
                QuantityWh = quantityWh,
            }], null);
        });
    }

    /// <summary>Pairs production and consumption of the same hour and grid area, oldest first, each for the smaller remainder.</summary>
    private async Task<Plan> PlanPeriodAsync(Guid organizationId, ClaimRequest request, CancellationToken cancellationToken)
    {
        var productions = await certificates.ListAsync(organizationId, "Production", request.From, request.To, request.GridArea, cancellationToken);
        var consumptions = await certificates.ListAsync(organizationId, "Consumption", request.From, request.To, request.GridArea, cancellationToken);
        return new Plan(reserved => Pair(
            [.. productions.Certificates.Select(c => c.Less(reserved)).Where(c => c.AvailableWh > 0)],
            [.. consumptions.Certificates.Select(c => c.Less(reserved)).Where(c => c.AvailableWh > 0)]),
            ReadAt: productions.ReadAt < consumptions.ReadAt ? productions.ReadAt : consumptions.ReadAt);
    }

    private static (IReadOnlyList<PlannedLeg>, ProblemHttpResult?) Pair(IReadOnlyList<AvailableCertificate> productions, IReadOnlyList<AvailableCertificate> consumptions)
    {
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
            ? (legs, null)
            : ([], TypedResults.Problem("No available production and consumption certificates of the same hour and grid area in the period.",
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
