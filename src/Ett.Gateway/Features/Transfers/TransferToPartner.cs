using Ett.Gateway.Errors;
using Ett.Gateway.Features.Partners;
using Ett.Gateway.Operations;
using Ett.Gateway.Operations.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ett.Gateway.Features.Transfers;

/// <summary>
/// "Send N Wh to partner X" as one operation: the partner's receiver id from the registry, the organization's
/// available production certificates oldest first, and one ETT transfer per certificate needed (ETT slices the last).
/// The certificates are read from ETT first (a read of the same list in flight is joined); only the reservation runs
/// under the organization's lock.
/// </summary>
internal sealed class TransferToPartner(PartnerRegistry partners, AvailableCertificates certificates, OperationRunner runner)
{
    /// <summary>Certificates read first: a page of ETT's list, enough for parallel transfers to spread over.</summary>
    internal const int OldestFirst = 50;

    public async Task<IdempotentOutcome> RunAsync(Guid organizationId, TransferRequest request, IdempotentAttempt attempt, CancellationToken cancellationToken)
    {
        if (attempt.ResumableOperationId is { } unfinished) return new IdempotentOutcome.Accepted(await runner.ResumeAsync(unfinished, attempt));

        Partner partner;
        if (request.PartnerId is { } partnerId)
        {
            if (await partners.FindAsync(organizationId, partnerId, cancellationToken) is not { } found)
                return new IdempotentOutcome.Rejected(PartnersExtensions.NotFound(partnerId));
            partner = found;
        }
        else
        {
            var partnerOrganizationId = request.PartnerOrganizationId!.Value;
            if (partnerOrganizationId == organizationId)
                return new IdempotentOutcome.Rejected(TypedResults.Problem("An organization cannot transfer to itself.",
                    statusCode: StatusCodes.Status422UnprocessableEntity, title: "Partner is the organization itself", type: ProblemTypes.Validation));
            (partner, _) = await partners.RegisterOrganizationAsync(organizationId, partnerOrganizationId, $"Organization {partnerOrganizationId}", cancellationToken);
        }

        var hashedAttributes = (request.HashedAttributes ?? HashedAttributes.None).ForEtt();
        // Most transfers are covered by the certificates that end first: one ETT page, often one read a moment ago. Only
        // a plan those cannot cover reads the whole list afresh before it is refused.
        var read = await certificates.OldestAsync(organizationId, "Production", request.From, request.To, request.GridArea, OldestFirst, cancellationToken);
        var (reservation, refusal) = await ReserveAsync(organizationId, request, partner, hashedAttributes, read, attempt);
        if (reservation is Reservation.Refused && (!read.Complete || read.Reused))
        {
            read = await certificates.ListAsync(organizationId, "Production", request.From, request.To, request.GridArea, cancellationToken);
            (reservation, refusal) = await ReserveAsync(organizationId, request, partner, hashedAttributes, read, attempt);
        }
        return IdempotentOutcome.Of(reservation, refusal);
    }

    /// <summary>The reservation of a plan made from <paramref name="read"/>, and why it was refused if it was.</summary>
    private async Task<(Reservation, ProblemHttpResult?)> ReserveAsync(
        Guid organizationId, TransferRequest request, Partner partner, IReadOnlyList<string> hashedAttributes, CertificateRead read, IdempotentAttempt attempt)
    {
        var candidates = read.Certificates;
        if (request.CertificateIds is { } wanted)
        {
            var ids = wanted.Select(id => id.ToRef()).ToHashSet();
            candidates = [.. candidates.Where(c => ids.Contains(c.Ref))];
        }

        ProblemHttpResult? refusal = null;
        var reservation = await runner.StartAsync(organizationId, reserved =>
        {
            // Certificates no open leg is on come first (each group oldest first): the journal sends one request per
            // certificate at a time, as ETT's wallet can take no more (IOperationStore.RecordIntentAsync), so spreading
            // over certificates keeps parallel transfers parallel.
            var available = candidates.Select(c => c.Less(reserved)).Where(c => c.AvailableWh > 0).OrderBy(c => reserved.Busy.Contains(c.Ref)).ToList();
            var availableWh = available.Sum(c => c.AvailableWh);
            if (availableWh < request.QuantityWh)
            {
                refusal = Insufficient(request.QuantityWh, availableWh);
                return null;
            }

            var legs = new List<PlannedLeg>();
            var remaining = request.QuantityWh;
            foreach (var certificate in available.TakeWhile(_ => remaining > 0))
            {
                var quantity = Math.Min(certificate.AvailableWh, remaining);
                legs.Add(new PlannedLeg { ProductionCertificate = certificate.Ref, ReceiverId = partner.ReceiverId, QuantityWh = quantity, HashedAttributes = hashedAttributes });
                remaining -= quantity;
            }
            return new NewOperation
            {
                OrganizationId = organizationId,
                CallerId = attempt.CallerId,
                Kind = OperationKind.Transfer,
                RequestedWh = request.QuantityWh,
                RequestJson = attempt.RequestJson,
                CorrelationId = attempt.CorrelationId,
                Legs = legs,
            };
        }, attempt, read.ReadAt);
        return (reservation, refusal);
    }

    internal static ProblemHttpResult Insufficient(long requestedWh, long availableWh) =>
        TypedResults.Problem($"{requestedWh} Wh requested, {availableWh} Wh available.", statusCode: StatusCodes.Status422UnprocessableEntity,
            title: "Not enough available quantity", type: ProblemTypes.InsufficientQuantity,
            extensions: new Dictionary<string, object?> { ["requestedWh"] = requestedWh, ["availableWh"] = availableWh });
}
