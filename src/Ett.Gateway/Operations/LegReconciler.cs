using Ett.Gateway.Features.Paging;
using Ett.Gateway.Operations.Store;
using Ett.Gateway.Upstream;

namespace Ett.Gateway.Operations;

/// <summary>
/// Decides legs whose outcome went unobserved (a POST timed out or crashed, a request-status ETT no longer knows)
/// from ETT's own state, since ETT has no idempotency of its own. ETT lists one row per slice moved
/// (ETT-SOURCE-REVIEW.md #2: wallet <c>transfers_query_model</c>), so rows are summed per certificate and receiver
/// (per production and consumption certificate for claims) and compared with the journal's own legs of that
/// certificate whose outcome is known. Whatever the sums cannot tell apart stays <c>unknown</c> with the reason.
/// </summary>
internal sealed class LegReconciler(IOperationStore journal, EttClient ett, ILogger<LegReconciler> logger, Observability.GatewayMetrics metrics)
{
    private const int PageSize = 1000;

    /// <summary>Resolves the leg; true when it went back to planned, i.e. must be sent.</summary>
    public async Task<bool> ReconcileAsync(JournalLeg journalLeg, CancellationToken cancellationToken)
    {
        var leg = journalLeg.Leg;
        // An intent whose attempt is gone: nobody will record its outcome, so it is unknown from now on.
        if (leg.Status == LegStatus.IntentRecorded && !await journal.MarkUnknownAsync(leg.Id, cancellationToken)) return false;
        var what = journalLeg.Kind == OperationKind.Transfer ? "transfer" : "claim";

        var before = await OthersAsync(journalLeg, cancellationToken);
        if (Undecidable(before, what) is { } waiting) return await UndecidedAsync(leg, waiting, cancellationToken);
        var (listedWh, consistent) = journalLeg.Kind == OperationKind.Transfer
            ? await ListedTransfersAsync(journalLeg.OrganizationId, leg, cancellationToken)
            : await ListedClaimsAsync(journalLeg.OrganizationId, leg, cancellationToken);
        // Read the journal again: a leg that moved while ETT was read would make the sums disagree.
        var after = await OthersAsync(journalLeg, cancellationToken);
        if (!consistent || !before.SequenceEqual(after))
            return await UndecidedAsync(leg, $"ETT's {what} list or the journal changed while they were compared; decided next round.", cancellationToken);

        var accountedWh = before.Where(other => other.Status == LegStatus.Completed).Sum(other => other.QuantityWh);
        var unknownWh = before.Where(other => other.Status == LegStatus.Unknown).Sum(other => other.QuantityWh);
        var excessWh = listedWh - accountedWh;

        if (excessWh == 0 && leg.EttRequestId is null)
        {
            logger.LogInformation("Leg {LegId}: ETT lists none of the {Kind}, so it will be sent", leg.Id, what);
            metrics.ReconcilerDecided("resend");
            return await journal.SetLegStatusAsync(leg.Id, LegStatus.Unknown, LegStatus.Planned,
                $"ETT lists none of this {what}; the leg is sent again.", cancellationToken);
        }
        if (excessWh == 0)
        {
            // ETT accepted the request, yet lists nothing of it: it failed. Never re-sent, as ETT might still act on it.
            metrics.ReconcilerDecided("failed");
            await journal.SetLegStatusAsync(leg.Id, LegStatus.Unknown, LegStatus.Failed,
                $"ETT accepted the request but lists none of this {what}, and no longer reports its status.", cancellationToken);
            return false;
        }
        if (excessWh == leg.QuantityWh + unknownWh)
        {
            logger.LogInformation("Leg {LegId}: ETT lists the {Kind}, so it took effect", leg.Id, what);
            metrics.ReconcilerDecided("completed");
            await journal.SetLegStatusAsync(leg.Id, LegStatus.Unknown, LegStatus.Completed,
                $"ETT lists this {what}; its outcome was never observed.", cancellationToken);
            return false;
        }
        var self = new Outcome(leg.Id, leg.Status, leg.EttRequestId, leg.QuantityWh);
        var otherUnknown = before.Where(other => other.Status == LegStatus.Unknown).ToList();
        switch (TookEffect(excessWh, self, otherUnknown))
        {
            case true:
                logger.LogInformation("Leg {LegId}: ETT's list accounts for it among {Count} unknown legs, so it took effect", leg.Id, otherUnknown.Count + 1);
                metrics.ReconcilerDecided("completed");
                await journal.SetLegStatusAsync(leg.Id, LegStatus.Unknown, LegStatus.Completed,
                    $"ETT lists this {what}; its outcome was never observed (told apart from the other unknown legs of this certificate by quantity, or counted among equal ones).", cancellationToken);
                return false;
            case false when leg.EttRequestId is null:
                logger.LogInformation("Leg {LegId}: ETT's list accounts for the other unknown legs only, so it will be sent", leg.Id);
                metrics.ReconcilerDecided("resend");
                return await journal.SetLegStatusAsync(leg.Id, LegStatus.Unknown, LegStatus.Planned,
                    $"ETT lists the other unknown legs of this certificate but not this {what}; the leg is sent again.", cancellationToken);
            case false:
                metrics.ReconcilerDecided("failed");
                await journal.SetLegStatusAsync(leg.Id, LegStatus.Unknown, LegStatus.Failed,
                    $"ETT accepted the request but its list accounts only for the other unknown legs of this certificate, and it no longer reports its status.", cancellationToken);
                return false;
        }
        return await UndecidedAsync(leg,
            $"ETT lists {listedWh} Wh of this {what} where the journal accounts for {accountedWh} Wh and {leg.QuantityWh + unknownWh} Wh are unknown: " +
            "ETT cannot tell whether this leg took effect.", cancellationToken);
    }

    /// <summary>Unknown legs of one certificate and receiver combined at most: 2^n sums.</summary>
    internal const int MaxUnknownToCombine = 12;

    /// <summary>
    /// Whether the leg is among the unknown legs that add up to what ETT lists beyond the known ones. Every combination
    /// of unknown legs that adds up is a world ETT's list allows; when all of them hold the same number <c>m</c> of legs of
    /// this leg's quantity, exactly <c>m</c> of those took effect. Legs of one certificate, receiver and quantity cannot be
    /// told apart at ETT (its list has no request ids), so which <c>m</c> is a choice, the same on every instance: first those
    /// ETT gave a request id (so the ones deemed not to have taken effect can be sent again), then by leg id.
    /// Null when the worlds disagree on <c>m</c>, when none adds up, or when there are too many legs to combine.
    /// </summary>
    internal static bool? TookEffect(long excessWh, Outcome leg, IReadOnlyList<Outcome> otherUnknown)
    {
        if (otherUnknown.Count > MaxUnknownToCombine) return null;
        Outcome[] unknown = [leg, .. otherUnknown];
        int? taken = null;
        for (var combination = 0; combination < 1 << unknown.Length; combination++)
        {
            long sum = 0;
            var ofThisQuantity = 0;
            for (var i = 0; i < unknown.Length; i++)
            {
                if ((combination & (1 << i)) == 0) continue;
                sum += unknown[i].QuantityWh;
                if (unknown[i].QuantityWh == leg.QuantityWh) ofThisQuantity++;
            }
            if (sum != excessWh) continue;
            if (taken is { } earlier && earlier != ofThisQuantity) return null;
            taken = ofThisQuantity;
        }
        if (taken is not { } count) return null;
        var rank = unknown.Where(other => other.QuantityWh == leg.QuantityWh)
            .OrderByDescending(other => other.EttRequestId is not null).ThenBy(other => other.Id)
            .Select(other => other.Id).ToList().IndexOf(leg.Id);
        return rank < count;
    }

    private async Task<bool> UndecidedAsync(OperationLeg leg, string reason, CancellationToken cancellationToken)
    {
        logger.LogWarning("Leg {LegId} stays unknown: {Reason}", leg.Id, reason);
        metrics.ReconcilerDecided("undecided");
        await journal.RecordUndecidedAsync(leg.Id, reason, cancellationToken);
        return false;
    }

    /// <summary>Why the sums cannot decide now: a leg of the same certificate whose outcome is not known yet.</summary>
    private static string? Undecidable(IReadOnlyList<Outcome> others, string what)
    {
        if (others.Any(other => other.Status is LegStatus.IntentRecorded or LegStatus.Submitted))
            return $"Another {what} of this certificate is still in flight; decided once it is final.";
        // ETT lists a failed request's slices when it had reserved them, and none when it had not: either may be so.
        if (others.Any(other => other.Status == LegStatus.Failed && other.EttRequestId is not null))
            return $"A {what} of this certificate failed at ETT, so ETT's list cannot tell whether this leg took effect.";
        return null;
    }

    /// <summary>The journal's other legs to the same receiver (consumption certificate), from an indexed lookup.</summary>
    private async Task<IReadOnlyList<Outcome>> OthersAsync(JournalLeg journalLeg, CancellationToken cancellationToken)
    {
        var leg = journalLeg.Leg;
        var legs = await journal.ListLegsOfCertificateAsync(journalLeg.OrganizationId, journalLeg.Kind, leg.ProductionCertificate, cancellationToken);
        return [.. legs
            .Where(other => other.Id != leg.Id && other.ReceiverId == leg.ReceiverId && other.ConsumptionCertificate == leg.ConsumptionCertificate)
            .OrderBy(other => other.Id)
            .Select(other => new Outcome(other.Id, other.Status, other.EttRequestId, other.QuantityWh))];
    }

    internal sealed record Outcome(Guid Id, LegStatus Status, Guid? EttRequestId, long QuantityWh);

    private async Task<(long Wh, bool Consistent)> ListedTransfersAsync(Guid organizationId, OperationLeg leg, CancellationToken cancellationToken)
    {
        var (rows, consistent) = await OffsetPager.ReadAllAsync(
            (skip, limit) => ett.GetTransfersAsync(organizationId, null, null, limit, skip, cancellationToken), null, PageSize);
        return (rows.Where(transfer => Same(transfer.FederatedStreamId, leg.ProductionCertificate)
                && Guid.TryParse(transfer.ReceiverId, out var receiver) && receiver == leg.ReceiverId)
            .Sum(transfer => transfer.Quantity), consistent);
    }

    private async Task<(long Wh, bool Consistent)> ListedClaimsAsync(Guid organizationId, OperationLeg leg, CancellationToken cancellationToken)
    {
        var (rows, consistent) = await OffsetPager.ReadAllAsync(
            (skip, limit) => ett.GetClaimsAsync(organizationId, null, null, limit, skip, cancellationToken), null, PageSize);
        return (rows.Where(claim => Same(claim.ProductionCertificate.FederatedStreamId, leg.ProductionCertificate)
                && leg.ConsumptionCertificate is { } consumption && Same(claim.ConsumptionCertificate.FederatedStreamId, consumption))
            .Sum(claim => claim.Quantity), consistent);
    }

    private static bool Same(EttFederatedStreamId id, CertificateRef certificate) =>
        id.StreamId == certificate.StreamId && string.Equals(id.Registry, certificate.Registry, StringComparison.Ordinal);
}
