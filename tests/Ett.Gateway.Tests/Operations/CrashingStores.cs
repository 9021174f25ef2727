using Ett.Gateway.Observability;
using Ett.Gateway.Operations.Store;

namespace Ett.Gateway.Tests.Operations;

/// <summary>What a process death looks like from inside: the exception escapes everything, so nothing after it runs.</summary>
public sealed class SimulatedCrash(string where) : Exception($"Simulated crash {where}");

/// <summary>The real journal, with a crash at a chosen step of a chosen leg (by sequence).</summary>
internal sealed class CrashingJournal(IOperationStore inner) : IOperationStore
{
    /// <summary>Crash right after this leg's intent was recorded, before its ETT POST.</summary>
    public int? AfterIntentOfLeg { get; init; }

    /// <summary>Crash after ETT accepted this leg's POST, before its request id is recorded.</summary>
    public int? BeforeSubmittedOfLeg { get; init; }

    private readonly Dictionary<Guid, int> sequences = [];

    public async Task<Reservation> ReserveAsync(
        Guid organizationId, IdempotencyLease lease, DateTimeOffset ettReadAt,
        Func<ReservedCertificates, NewOperation?> plan, CancellationToken cancellationToken)
    {
        var reservation = await inner.ReserveAsync(organizationId, lease, ettReadAt, plan, cancellationToken);
        if (reservation is Reservation.Created created)
        {
            foreach (var leg in created.Operation.Legs) sequences[leg.Id] = leg.Sequence;
        }
        return reservation;
    }

    public async Task<bool> RecordIntentAsync(Guid legId, CancellationToken cancellationToken)
    {
        var recorded = await inner.RecordIntentAsync(legId, cancellationToken);
        if (sequences.GetValueOrDefault(legId, -1) == AfterIntentOfLeg) throw new SimulatedCrash("after intent recorded");
        return recorded;
    }

    public Task<bool> RecordSubmittedAsync(Guid legId, Guid ettRequestId, CancellationToken cancellationToken) =>
        sequences.GetValueOrDefault(legId, -1) == BeforeSubmittedOfLeg
            ? throw new SimulatedCrash("after ETT accepted, before the request id was stored")
            : inner.RecordSubmittedAsync(legId, ettRequestId, cancellationToken);

    public Task<bool> MarkUnknownAsync(Guid legId, CancellationToken cancellationToken) => inner.MarkUnknownAsync(legId, cancellationToken);

    public Task<bool> SetLegStatusAsync(Guid legId, LegStatus expected, LegStatus next, string? detail, CancellationToken cancellationToken) =>
        inner.SetLegStatusAsync(legId, expected, next, detail, cancellationToken);

    public Task<OperationRecord?> GetOperationAsync(Guid operationId, CancellationToken cancellationToken) => inner.GetOperationAsync(operationId, cancellationToken);

    public Task<IReadOnlyList<OperationRecord>> ListOperationsAsync(Guid organizationId, OperationStatus? status, int limit, CancellationToken cancellationToken) =>
        inner.ListOperationsAsync(organizationId, status, limit, cancellationToken);

    public Task<IReadOnlyList<JournalLeg>> ListLegsToPollAsync(DateTimeOffset checkedBefore, int limit, WorkerClaim claim, CancellationToken cancellationToken) =>
        inner.ListLegsToPollAsync(checkedBefore, limit, claim, cancellationToken);

    public Task<bool> RecordStillPendingAsync(Guid legId, CancellationToken cancellationToken) => inner.RecordStillPendingAsync(legId, cancellationToken);

    public Task<int> RecordStatusFailureAsync(Guid legId, CancellationToken cancellationToken) => inner.RecordStatusFailureAsync(legId, cancellationToken);

    public Task<IReadOnlyList<JournalLeg>> ListLegsToReconcileAsync(DateTimeOffset changedBefore, int limit, WorkerClaim claim, CancellationToken cancellationToken) =>
        inner.ListLegsToReconcileAsync(changedBefore, limit, claim, cancellationToken);

    public Task<bool> RecordUndecidedAsync(Guid legId, string detail, CancellationToken cancellationToken) => inner.RecordUndecidedAsync(legId, detail, cancellationToken);

    public Task<IReadOnlyList<JournalLeg>> ListLegsToResumeAsync(int limit, WorkerClaim claim, CancellationToken cancellationToken) =>
        inner.ListLegsToResumeAsync(limit, claim, cancellationToken);

    public Task<IReadOnlyList<OperationLeg>> ListLegsOfCertificateAsync(
        Guid organizationId, OperationKind kind, CertificateRef productionCertificate, CancellationToken cancellationToken) =>
        inner.ListLegsOfCertificateAsync(organizationId, kind, productionCertificate, cancellationToken);

    public Task ReleaseAsync(WorkerClaim claim, CancellationToken cancellationToken) => inner.ReleaseAsync(claim, cancellationToken);
}

/// <summary>The real idempotency store, crashing when the final response is about to be stored.</summary>
internal sealed class CrashingKeys(IIdempotencyStore inner) : IIdempotencyStore
{
    public Task<IdempotencyBegin> TryBeginAsync(string callerId, string key, string fingerprint, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
        inner.TryBeginAsync(callerId, key, fingerprint, leaseDuration, cancellationToken);

    public Task<bool> CompleteAsync(IdempotencyLease lease, StoredResponse response, AuditRecord? audit, CancellationToken cancellationToken) =>
        throw new SimulatedCrash("after ETT accepted every leg, before the response was stored");

    public Task<bool> RenewLeaseAsync(IdempotencyLease lease, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
        inner.RenewLeaseAsync(lease, leaseDuration, cancellationToken);

    public Task<bool> ReleaseAsync(IdempotencyLease lease, CancellationToken cancellationToken) => inner.ReleaseAsync(lease, cancellationToken);

    public Task<int> PurgeExpiredAsync(CancellationToken cancellationToken) => inner.PurgeExpiredAsync(cancellationToken);

    public Task<IReadOnlyList<AbandonedKey>> ListAbandonedAsync(int limit, CancellationToken cancellationToken) => inner.ListAbandonedAsync(limit, cancellationToken);

    public Task<bool> CompleteAbandonedAsync(AbandonedKey key, StoredResponse response, CancellationToken cancellationToken) =>
        inner.CompleteAbandonedAsync(key, response, cancellationToken);
}
