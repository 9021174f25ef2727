using System.Buffers.Text;
using System.ComponentModel;
using System.Globalization;
using System.Text;
using Ett.Gateway.Callers;
using Ett.Gateway.Errors;
using Ett.Gateway.OpenApi;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ett.Gateway.Observability;

/// <summary><c>GET /admin/audit</c>: the audit trail for <c>Ett.Admin</c> callers, filtered and paged, newest first.</summary>
internal static class AuditApi
{
    private const int DefaultLimit = 50;
    private const int MaxLimit = 500;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/admin/audit", ListAsync)
            .WithTags("Admin")
            .RequireAuthorization(CallerPolicies.Admin)
            .WithName("ListAuditRecords")
            .WithSummary("List audit records")
            .WithDescription("One record per state-changing call (POST, PUT, PATCH, DELETE) of an authenticated caller, refusals included " +
                "(429s are not recorded): caller, organization, action, status and outcome, quantity, certificates, correlation id and operation id. " +
                "Newest first; every filter is optional (`from` inclusive, `to` exclusive); `limit` is 1 to 500 (default 50); " +
                "pass `nextCursor` back as `cursor`, with the same filters, for the next page. Requires `Ett.Admin`.")
            .Produces<AuditPage>()
            .WithResponseExample(StatusCodes.Status200OK, "The newest records.", new AuditPage { Items = [AuditView.Example], NextCursor = null })
            .WithProblemResponse(StatusCodes.Status400BadRequest, $"A filter is malformed, limit out of range or cursor unknown ({ProblemTypes.Validation}).");
    }

    private static async Task<Results<Ok<AuditPage>, ValidationProblem>> ListAsync(
        [FromQuery, Description("Only calls for this organization.")] Guid? organizationId,
        [FromQuery, Description("Only calls of this caller id (case-insensitive).")] string? callerId,
        [FromQuery, Description("Only this action: an endpoint name such as TransferToPartner, or \"ETT passthrough POST /wallet-api/transfers\".")] string? action,
        [FromQuery, Description("Recorded at or after this instant (ISO 8601).")] DateTimeOffset? from,
        [FromQuery, Description("Recorded before this instant (ISO 8601).")] DateTimeOffset? to,
        [FromQuery, Description("At most this many, 1 to 500 (default 50).")] int? limit,
        [FromQuery, Description("nextCursor of the previous page.")] string? cursor,
        IAuditStore trail, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxLimit) return Invalid("limit", $"Must be between 1 and {MaxLimit}.");
        AuditPosition? after = null;
        if (cursor is not null && (after = Decode(cursor)) is null) return Invalid("cursor", "Is not a cursor this endpoint issued.");
        var size = limit ?? DefaultLimit;

        // One more than asked tells whether another page follows.
        var records = await trail.ListAsync(new AuditQuery(organizationId, callerId, action, from, to, size + 1, after), cancellationToken);
        var page = records.Take(size).ToList();
        return TypedResults.Ok(new AuditPage
        {
            Items = [.. page.Select(AuditView.From)],
            NextCursor = records.Count > size ? Encode(new AuditPosition(page[^1].RecordedAt, page[^1].AuditId)) : null,
        });
    }

    internal static string Encode(AuditPosition position) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(FormattableString.Invariant($"a1:{position.RecordedAt.ToUnixTimeMilliseconds()}:{position.AuditId:N}")));

    internal static AuditPosition? Decode(string cursor)
    {
        if (cursor.Length is 0 or > 100 || !Base64Url.IsValid(cursor)) return null;
        var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Split(':');
        return parts is ["a1", var millis, var id]
            && long.TryParse(millis, NumberStyles.None, CultureInfo.InvariantCulture, out var at) && at <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            && Guid.TryParseExact(id, "N", out var auditId)
            ? new AuditPosition(DateTimeOffset.FromUnixTimeMilliseconds(at), auditId)
            : null;
    }

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request is invalid", type: ProblemTypes.Validation);
}

/// <summary>A page of audit records, newest first.</summary>
internal sealed record AuditPage
{
    public required IReadOnlyList<AuditView> Items { get; init; }

    /// <summary>Opaque; null when there are no more records.</summary>
    public required string? NextCursor { get; init; }
}

/// <summary>One audited call.</summary>
internal sealed record AuditView
{
    public required Guid AuditId { get; init; }
    public required DateTimeOffset RecordedAt { get; init; }
    public required string CallerId { get; init; }
    public Guid? OrganizationId { get; init; }
    public required string Action { get; init; }
    public required string Method { get; init; }
    public required string Path { get; init; }
    public required int Status { get; init; }

    /// <summary><c>succeeded</c>, <c>replayed</c>, <c>refused</c> or <c>failed</c>.</summary>
    public required string Outcome { get; init; }

    /// <summary>Wh the call asked to move (transfers and claims).</summary>
    public long? QuantityWh { get; init; }

    /// <summary>Certificates the call moved or claimed, <c>registry/streamId</c>.</summary>
    public required IReadOnlyList<string> Certificates { get; init; }

    public required string CorrelationId { get; init; }
    public Guid? OperationId { get; init; }

    public static AuditView From(AuditRecord record) => new()
    {
        AuditId = record.AuditId,
        RecordedAt = record.RecordedAt,
        CallerId = record.CallerId,
        OrganizationId = record.OrganizationId,
        Action = record.Action,
        Method = record.Method,
        Path = record.Path,
        Status = record.Status,
        Outcome = record.Outcome,
        QuantityWh = record.QuantityWh,
        Certificates = record.Certificates,
        CorrelationId = record.CorrelationId,
        OperationId = record.OperationId,
    };

    internal static readonly AuditView Example = new()
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
