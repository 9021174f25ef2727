using Ett.Gateway.Operations.Store;
using Ett.Gateway.Upstream;

namespace Ett.Gateway.Operations;

/// <summary>
/// Decides legs whose POST went unobserved (timeout, crash) from ETT's own state, since ETT has no idempotency of its
/// own: if ETT lists more transfers (claims) of that certificate, receiver (consumption certificate) and quantity than
/// the journal knows it sent, the leg took effect and is completed; otherwise it never did and goes back to planned.
/// </summary>
internal sealed class LegReconciler(IOperationStore journal, EttClient ett, ILogger<LegReconciler> logger)
{
    private const int PageSize = 1000;

    /// <summary>Resolves the leg; true when it went back to planned, i.e. must be sent.</summary>
    public async Task<bool> ReconcileAsync(JournalLeg journalLeg, CancellationToken cancellationToken)
    {
        var leg = journalLeg.Leg;
        // An intent whose attempt is gone: nobody will record its outcome, so it is unknown from now on.
        if (leg.Status == LegStatus.IntentRecorded && !await journal.MarkUnknownAsync(leg.Id, cancellationToken)) return false;

        var listedAtEtt = journalLeg.Kind == OperationKind.Transfer
            ? await CountTransfersAsync(journalLeg.OrganizationId, leg, cancellationToken)
            : await CountClaimsAsync(journalLeg.OrganizationId, leg, cancellationToken);
        var knownSent = await CountKnownSentAsync(journalLeg, cancellationToken);
        var what = journalLeg.Kind == OperationKind.Transfer ? "transfer" : "claim";

        if (listedAtEtt > knownSent)
        {
            logger.LogInformation("Leg {LegId}: ETT lists the {Kind}, so it took effect", leg.Id, what);
            await journal.SetLegStatusAsync(leg.Id, LegStatus.Unknown, LegStatus.Completed,
                $"ETT lists this {what}; its request id was never observed.", cancellationToken);
            return false;
        }

        logger.LogInformation("Leg {LegId}: ETT has no such {Kind}, so it will be sent", leg.Id, what);
        return await journal.SetLegStatusAsync(leg.Id, LegStatus.Unknown, LegStatus.Planned,
            $"ETT showed no such {what}; the leg is sent again.", cancellationToken);
    }

    private async Task<int> CountTransfersAsync(Guid organizationId, OperationLeg leg, CancellationToken cancellationToken)
    {
        var count = 0;
        for (var skip = 0; ; skip += PageSize)
        {
            var page = await ett.GetTransfersAsync(organizationId, null, null, PageSize, skip, cancellationToken);
            count += page.Items.Count(transfer => Same(transfer.FederatedStreamId, leg.ProductionCertificate)
                && Guid.TryParse(transfer.ReceiverId, out var receiver) && receiver == leg.ReceiverId
                && transfer.Quantity == leg.QuantityWh);
            if (page.Items.Count < PageSize) return count;
        }
    }

    private async Task<int> CountClaimsAsync(Guid organizationId, OperationLeg leg, CancellationToken cancellationToken)
    {
        var count = 0;
        for (var skip = 0; ; skip += PageSize)
        {
            var page = await ett.GetClaimsAsync(organizationId, null, null, PageSize, skip, cancellationToken);
            count += page.Items.Count(claim => Same(claim.ProductionCertificate.FederatedStreamId, leg.ProductionCertificate)
                && leg.ConsumptionCertificate is { } consumption && Same(claim.ConsumptionCertificate.FederatedStreamId, consumption)
                && claim.Quantity == leg.QuantityWh);
            if (page.Items.Count < PageSize) return count;
        }
    }

    /// <summary>Other legs of the organization that ETT accepted for the same certificate(s), receiver and quantity.</summary>
    private async Task<int> CountKnownSentAsync(JournalLeg journalLeg, CancellationToken cancellationToken)
    {
        var leg = journalLeg.Leg;
        var operations = await journal.ListOperationsAsync(journalLeg.OrganizationId, null, PageSize, cancellationToken);
        return operations.Where(operation => operation.Kind == journalLeg.Kind)
            .SelectMany(operation => operation.Legs)
            .Count(other => other.Id != leg.Id
                && (other.Status == LegStatus.Completed || (other.EttRequestId is not null && other.Status != LegStatus.Failed))
                && other.ProductionCertificate == leg.ProductionCertificate
                && other.ConsumptionCertificate == leg.ConsumptionCertificate
                && other.ReceiverId == leg.ReceiverId
                && other.QuantityWh == leg.QuantityWh);
    }

    private static bool Same(EttFederatedStreamId id, CertificateRef certificate) =>
        id.StreamId == certificate.StreamId && string.Equals(id.Registry, certificate.Registry, StringComparison.Ordinal);
}
