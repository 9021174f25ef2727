namespace Ett.Gateway.Observability;

/// <summary>
/// One state-changing call as the audit trail keeps it: who, for which organization, what, how much, which
/// certificates, how it ended, and the ids that lead to its logs, trace and operation. Never a token, secret or header.
/// </summary>
internal sealed record AuditRecord
{
    public required Guid AuditId { get; init; }
    public required DateTimeOffset RecordedAt { get; init; }

    /// <summary>The caller id (<c>azp</c>, <c>appid</c>, <c>client_id</c> or <c>sub</c>), as in <c>Callers:Organizations</c>.</summary>
    public required string CallerId { get; init; }

    public Guid? OrganizationId { get; init; }

    /// <summary>The endpoint's name (e.g. <c>TransferToPartner</c>), or <c>ETT passthrough POST /wallet-api/transfers</c>.</summary>
    public required string Action { get; init; }

    public required string Method { get; init; }
    public required string Path { get; init; }
    public required int Status { get; init; }

    /// <summary><c>succeeded</c>, <c>replayed</c> (an Idempotency-Key's stored answer), <c>refused</c> (4xx) or <c>failed</c> (5xx).</summary>
    public required string Outcome { get; init; }

    /// <summary>Wh the call asked to move, where the gateway knows it (transfers and claims).</summary>
    public long? QuantityWh { get; init; }

    /// <summary>The certificates the call moved or claimed, <c>registry/streamId</c>.</summary>
    public required IReadOnlyList<string> Certificates { get; init; }

    public required string CorrelationId { get; init; }
    public Guid? OperationId { get; init; }

    internal static readonly AuditRecord Example = new()
    {
        AuditId = new Guid("019ab5f2-3c11-7a00-8b00-4c2d1e0f9a11"),
        RecordedAt = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero),
        CallerId = "sandbox-app",
        OrganizationId = new Guid("5a4d0000-0000-4000-8000-000000000002"),
        Action = "TransferToPartner",
        Method = "POST",
        Path = "/organizations/5a4d0000-0000-4000-8000-000000000002/transfers",
        Status = 202,
        Outcome = "succeeded",
        QuantityWh = 5_000_000,
        Certificates = ["Energinet.dk/8c0e4b8e-1f6a-4c1e-9d1e-0b7f3e2a4c11", "Energinet.dk/8c0e4b8e-1f6a-4c1e-9d1e-0b7f3e2a4c12"],
        CorrelationId = "0193f2a4c10b7d4e9a512f0c8e6b1d20",
        OperationId = new Guid("019ab5f2-3c10-7d4e-9a51-2f0c8e6b1d20"),
    };
}

/// <summary>What an endpoint adds to its call's audit record; the middleware knows the rest.</summary>
internal sealed class AuditDetails
{
    public Guid? OrganizationId { get; set; }
    public Guid? OperationId { get; set; }
    public long? QuantityWh { get; set; }
    public IReadOnlyList<string> Certificates { get; set; } = [];
    public bool Replayed { get; set; }

    /// <summary>Set by the middleware: makes the call's record as the middleware would store it, for a status.</summary>
    internal Func<int, AuditRecord>? Composer { get; set; }

    /// <summary>
    /// The call's record for <paramref name="status"/>, for an endpoint that stores it with a write of its own (set it as
    /// <see cref="Stored"/> then); null when the call is not audited.
    /// </summary>
    public AuditRecord? Compose(int status) => Composer?.Invoke(status);

    /// <summary>The record the endpoint stored itself: the middleware only logs it.</summary>
    public AuditRecord? Stored { get; set; }

    /// <summary>The details of the call in progress, or null when it is not audited.</summary>
    public static AuditDetails? Of(HttpContext http) => http.Features.Get<AuditDetails>();
}

/// <summary>Filters of the audit endpoint; all optional, combined with AND.</summary>
internal sealed record AuditQuery(Guid? OrganizationId, string? CallerId, string? Action, DateTimeOffset? From, DateTimeOffset? To, int Limit, AuditPosition? After);

/// <summary>Where a page ended: the trail is read newest first, by time and then id.</summary>
internal sealed record AuditPosition(DateTimeOffset RecordedAt, Guid AuditId);

/// <summary>The durable audit trail, in the operations store (SQLite or PostgreSQL).</summary>
internal interface IAuditStore
{
    Task AppendAsync(AuditRecord record, CancellationToken cancellationToken);

    /// <summary>Newest first; at most <see cref="AuditQuery.Limit"/> records.</summary>
    Task<IReadOnlyList<AuditRecord>> ListAsync(AuditQuery query, CancellationToken cancellationToken);
}
