namespace Ett.Gateway.Operations.Store;

/// <summary>
/// Idempotency-Key records (IETF draft "The Idempotency-Key HTTP Header Field"): one per caller and key, holding the
/// request fingerprint, an in-flight lease while a gateway instance works on it, and the final response for replay.
/// Every method decides atomically in the database, so gateway instances sharing one PostgreSQL never both run a key.
/// </summary>
internal interface IIdempotencyStore
{
    /// <summary>
    /// Claims the key for the caller, or reports why not. A record whose lease expired
    /// (its instance died) is taken over: <see cref="IdempotencyBegin.Started.IsResume"/> is then true.
    /// </summary>
    Task<IdempotencyBegin> TryBeginAsync(string callerId, string key, string fingerprint, TimeSpan leaseDuration, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the response to replay and ends the lease. False when the lease was lost to another attempt. The call's
    /// <paramref name="audit"/> record, if given, is stored in the same transaction, lease lost or not (the call
    /// answered either way): one write fewer per accepted operation for every instance's writers.
    /// </summary>
    Task<bool> CompleteAsync(IdempotencyLease lease, StoredResponse response, Observability.AuditRecord? audit, CancellationToken cancellationToken);

    /// <summary>Extends the lease from now. False when the lease was lost: stop working on the key.</summary>
    Task<bool> RenewLeaseAsync(IdempotencyLease lease, TimeSpan leaseDuration, CancellationToken cancellationToken);

    /// <summary>
    /// Forgets the key so that a retry starts afresh. Only for failures before anything was sent to ETT; once an
    /// ETT request may have been sent, complete the key with the error response instead. False when the lease was
    /// lost or an operation is attached to the key (such a key is kept so that a retry resumes the operation).
    /// </summary>
    Task<bool> ReleaseAsync(IdempotencyLease lease, CancellationToken cancellationToken);

    /// <summary>Deletes records past their retention (never one whose lease is still live). Returns how many.</summary>
    Task<int> PurgeExpiredAsync(CancellationToken cancellationToken);

    /// <summary>Keys whose request died after creating its operation: in flight, lease run out, operation attached.</summary>
    Task<IReadOnlyList<AbandonedKey>> ListAbandonedAsync(int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the response of an abandoned key so that it replays and is purged after retention like any other.
    /// False when a retry took the key over meanwhile (it then completes the key itself).
    /// </summary>
    Task<bool> CompleteAbandonedAsync(AbandonedKey key, StoredResponse response, CancellationToken cancellationToken);
}

/// <summary>An in-flight key whose lease ran out, with the lease it was observed under and its operation.</summary>
internal sealed record AbandonedKey(IdempotencyLease Lease, Guid OperationId);

/// <summary>Proof of owning an in-flight key; the token fences a stale owner out once another attempt took over.</summary>
internal sealed record IdempotencyLease(string CallerId, string Key, Guid Token);

/// <summary>The outcome of <see cref="IIdempotencyStore.TryBeginAsync"/>.</summary>
internal abstract record IdempotencyBegin
{
    private IdempotencyBegin() { }

    /// <summary>
    /// This attempt owns the key until LeaseExpiresAt (renew while working). IsResume: an earlier attempt's lease
    /// expired unfinished, so continue from what the journal recorded. OperationId: the operation an earlier attempt
    /// created under this key (<see cref="IOperationStore.ReserveAsync"/> attaches it in the same transaction).
    /// </summary>
    internal sealed record Started(IdempotencyLease Lease, DateTimeOffset LeaseExpiresAt, bool IsResume, Guid? OperationId) : IdempotencyBegin;

    /// <summary>Another attempt holds a live lease: answer 409.</summary>
    internal sealed record InFlight(DateTimeOffset LeaseExpiresAt) : IdempotencyBegin;

    /// <summary>The key completed: replay Response byte for byte.</summary>
    internal sealed record Replay(StoredResponse Response, Guid? OperationId) : IdempotencyBegin;

    /// <summary>The key was used with a different request: answer 422.</summary>
    internal sealed record FingerprintMismatch : IdempotencyBegin;
}

/// <summary>A response kept for replay. Headers holds only the selected headers (e.g. Location).</summary>
internal sealed record StoredResponse(int StatusCode, string? ContentType, IReadOnlyDictionary<string, string> Headers, byte[] Body);
