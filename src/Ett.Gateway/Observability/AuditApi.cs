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
            .WithResponseExample(StatusCodes.Status200OK, "The newest records.", new AuditPage { Items = [AuditRecord.Example], NextCursor = null })
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
            Items = page,
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
    public required IReadOnlyList<AuditRecord> Items { get; init; }

    /// <summary>Opaque; null when there are no more records.</summary>
    public required string? NextCursor { get; init; }
}
