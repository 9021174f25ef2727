namespace Ett.Gateway.Operations.Store;

/// <summary>
/// The durable journal of transfers and claims: one operation per accepted request, one leg per ETT POST. A leg's
/// intent is recorded before its POST and its ETT request id after, so a crash leaves a trace that is resolved, never
/// blindly re-sent. Every leg change re-derives the operation's status in the same transaction.
/// </summary>
internal interface IOperationStore
{
    /// <summary>
    /// The reservation, serialized per organization across instances: reads what the organization's open legs still
    /// take from each certificate, lets <paramref name="plan"/> turn that into the operation (null: refused, nothing
    /// written), then creates it with its planned legs and attaches it to the idempotency key, all in one transaction.
    /// A leg counts as reserved unless ETT had certainly applied (or released) it before <paramref name="ettReadAt"/>,
    /// when the planner's ETT read began, so that read and reservation never disagree.
    /// </summary>
    Task<Reservation> ReserveAsync(
        Guid organizationId, IdempotencyLease lease, DateTimeOffset ettReadAt,
        Func<ReservedCertificates, NewOperation?> plan, CancellationToken cancellationToken);

    /// <summary>
    /// planned → intentRecorded. Call right before the ETT POST; send it only when this returns true. False too while
    /// another leg of the organization on the same certificate is in flight (intent recorded or submitted): the leg
    /// stays planned and is sent once that one has ended (the worker resumes planned legs).
    /// </summary>
    Task<bool> RecordIntentAsync(Guid legId, CancellationToken cancellationToken);

    /// <summary>intentRecorded → submitted, keeping ETT's transferRequestId/claimRequestId for polling.</summary>
    Task<bool> RecordSubmittedAsync(Guid legId, Guid ettRequestId, CancellationToken cancellationToken);

    /// <summary>intentRecorded → unknown: the POST's outcome was not observed (timeout, crash); the reconciler decides.</summary>
    Task<bool> MarkUnknownAsync(Guid legId, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a leg from expected to next if it is still there (the poller's submitted → completed|failed|unknown, the
    /// reconciler's unknown → planned|completed|failed). False if it moved meanwhile. The detail says why (e.g. ETT's
    /// synchronous rejection text) and is shown to callers, so it never holds a secret.
    /// </summary>
    Task<bool> SetLegStatusAsync(Guid legId, LegStatus expected, LegStatus next, string? detail, CancellationToken cancellationToken);

    Task<OperationRecord?> GetOperationAsync(Guid operationId, CancellationToken cancellationToken);

    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<OperationRecord>> ListOperationsAsync(Guid organizationId, OperationStatus? status, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Claims for <paramref name="claim"/> submitted legs whose ETT request has not reached a final status, not checked
    /// since <paramref name="checkedBefore"/>, least recently checked first (bounded polling). Legs another live claim
    /// holds are skipped, so instances sharing the store never poll the same leg in one iteration.
    /// </summary>
    Task<IReadOnlyList<JournalLeg>> ListLegsToPollAsync(DateTimeOffset checkedBefore, int limit, WorkerClaim claim, CancellationToken cancellationToken);

    /// <summary>ETT still says pending: moves a submitted leg to the back of the poll list. False if it is no longer submitted.</summary>
    Task<bool> RecordStillPendingAsync(Guid legId, CancellationToken cancellationToken);

    /// <summary>
    /// ETT refused the leg's request-status permanently (e.g. 404) once more: counts it and moves the leg to the back
    /// of the poll list. Returns the count so far; 0 if the leg is no longer submitted.
    /// </summary>
    Task<int> RecordStatusFailureAsync(Guid legId, CancellationToken cancellationToken);

    /// <summary>
    /// Claims legs whose POST may or may not have happened (intentRecorded without an ETT request id, or unknown),
    /// last changed at or before changedBefore so that an attempt still running is left alone.
    /// </summary>
    Task<IReadOnlyList<JournalLeg>> ListLegsToReconcileAsync(DateTimeOffset changedBefore, int limit, WorkerClaim claim, CancellationToken cancellationToken);

    /// <summary>An unknown leg the reconciler could not decide: keeps it unknown with the reason and rests it for another round.</summary>
    Task<bool> RecordUndecidedAsync(Guid legId, string detail, CancellationToken cancellationToken);

    /// <summary>
    /// Claims planned legs no live attempt works on: left behind by an attempt that died between legs (its key's
    /// lease ran out), or put back by the reconciler after it proved their POST never took effect. Oldest first.
    /// </summary>
    Task<IReadOnlyList<JournalLeg>> ListLegsToResumeAsync(int limit, WorkerClaim claim, CancellationToken cancellationToken);

    /// <summary>The journal's own legs of one certificate (and kind): the reconciler's indexed lookup, no window.</summary>
    Task<IReadOnlyList<OperationLeg>> ListLegsOfCertificateAsync(Guid organizationId, OperationKind kind, CertificateRef productionCertificate, CancellationToken cancellationToken);

    /// <summary>Ends the claim: its legs are free for any instance's next iteration.</summary>
    Task ReleaseAsync(WorkerClaim claim, CancellationToken cancellationToken);
}

/// <summary>Operations per kind and status, legs per status (stored names, e.g. <c>intentRecorded</c>).</summary>
public sealed record StoreStatusCounts(IReadOnlyList<(string Kind, string Status, long Count)> Operations, IReadOnlyList<(string Status, long Count)> Legs);

/// <summary>One worker iteration's hold on the legs it listed; it lapses at Until if the instance dies.</summary>
internal sealed record WorkerClaim(Guid Token, DateTimeOffset Until);

/// <summary>
/// What a reservation sees of the organization's own legs: per certificate, the quantity they take beyond what ETT's
/// read showed (<see cref="Wh"/>), and the certificates a leg is still open on now (<see cref="Busy"/>: the journal
/// sends the next leg on one only after that leg ended). A certificate whose leg finished after the read is reserved
/// but not busy.
/// </summary>
internal sealed record ReservedCertificates(IReadOnlyDictionary<CertificateRef, long> Wh, IReadOnlySet<CertificateRef> Busy);

/// <summary>The outcome of <see cref="IOperationStore.ReserveAsync"/>.</summary>
internal abstract record Reservation
{
    private Reservation() { }

    public sealed record Created(OperationRecord Operation) : Reservation;

    /// <summary>The plan refused (not enough left); nothing was written.</summary>
    public sealed record Refused : Reservation;

    /// <summary>Another attempt took the key over meanwhile; nothing was written.</summary>
    public sealed record LeaseLost : Reservation;
}

internal enum OperationKind { Transfer, Claim }

internal enum OperationStatus { Accepted, Running, Completed, Failed, PartiallyCompleted }

internal enum LegStatus { Planned, IntentRecorded, Submitted, Completed, Failed, Unknown }

/// <summary>ETT's FederatedStreamId.</summary>
internal sealed record CertificateRef(string Registry, Guid StreamId)
{
    public static CertificateRef From(Upstream.EttFederatedStreamId id) => new(id.Registry, id.StreamId);

    public Upstream.EttFederatedStreamId ToEtt() => new(Registry, StreamId);
}

internal sealed record NewOperation
{
    public required Guid OrganizationId { get; init; }
    public required string CallerId { get; init; }
    public required OperationKind Kind { get; init; }
    public required long RequestedWh { get; init; }

    /// <summary>The caller's request as JSON, kept for audit and for resuming.</summary>
    public required string RequestJson { get; init; }

    /// <summary>The creating request's correlation id (Observability/Correlation).</summary>
    public string? CorrelationId { get; init; }

    /// <summary>In execution order; the store numbers them from 0.</summary>
    public required IReadOnlyList<PlannedLeg> Legs { get; init; }
}

internal record PlannedLeg
{
    public required CertificateRef ProductionCertificate { get; init; }

    /// <summary>Claims only.</summary>
    public CertificateRef? ConsumptionCertificate { get; init; }

    /// <summary>Transfers only: ETT's receiverId from the partner's external endpoint.</summary>
    public Guid? ReceiverId { get; init; }

    public required long QuantityWh { get; init; }

    /// <summary>ETT's exact, case-sensitive attribute names (ETT silently ignores any other spelling).</summary>
    public IReadOnlyList<string> HashedAttributes { get; init; } = [];
}

internal sealed record OperationRecord
{
    public required Guid Id { get; init; }
    public required Guid OrganizationId { get; init; }
    public required string CallerId { get; init; }
    public required OperationKind Kind { get; init; }
    public required long RequestedWh { get; init; }
    public required OperationStatus Status { get; init; }
    public required string RequestJson { get; init; }
    public string? CorrelationId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public required IReadOnlyList<OperationLeg> Legs { get; init; }

    public long CompletedWh => Legs.Where(leg => leg.Status == LegStatus.Completed).Sum(leg => leg.QuantityWh);
}

/// <summary>A planned leg as journaled: its identity and how far it got.</summary>
internal sealed record OperationLeg : PlannedLeg
{
    public required Guid Id { get; init; }
    public required Guid OperationId { get; init; }
    public required int Sequence { get; init; }
    public required LegStatus Status { get; init; }
    public Guid? EttRequestId { get; init; }
    public string? Detail { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A leg with what the poller and reconciler need to call ETT on the operation's behalf.</summary>
internal sealed record JournalLeg(Guid OrganizationId, OperationKind Kind, OperationLeg Leg, string? CorrelationId = null);
