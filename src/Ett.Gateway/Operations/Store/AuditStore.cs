using System.Data.Common;
using System.Text;
using System.Text.Json;
using Ett.Gateway.Observability;

namespace Ett.Gateway.Operations.Store;

/// <summary>The audit trail's table (migration 5), in the operations store's database.</summary>
internal sealed class SqlAuditStore(SqlOperationsStore schema) : IAuditStore
{
    public async Task AppendAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        await using var connection = await schema.OpenForWritingAsync(cancellationToken);
        await InsertAsync(connection, null, record, cancellationToken);
    }

    /// <summary>The record's row, in the caller's transaction if it has one (an Idempotency-Key's completion).</summary>
    internal static async Task InsertAsync(DbConnection connection, DbTransaction? transaction, AuditRecord record, CancellationToken cancellationToken) =>
        await Sql.ExecuteAsync(connection, transaction, """
            INSERT INTO audit_records (audit_id, recorded_at, caller_id, organization_id, action, method, path, status, outcome,
                quantity_wh, certificates, correlation_id, operation_id)
            VALUES (@id, @at, @caller, @organization, @action, @method, @path, @status, @outcome, @quantity, @certificates, @correlation, @operation)
            """,
            [("id", Sql.Text(record.AuditId)), ("at", Sql.Millis(record.RecordedAt)), ("caller", record.CallerId),
             ("organization", record.OrganizationId is { } organization ? Sql.Text(organization) : null), ("action", record.Action),
             ("method", record.Method), ("path", record.Path), ("status", (long)record.Status), ("outcome", record.Outcome),
             ("quantity", record.QuantityWh), ("certificates", JsonSerializer.Serialize(record.Certificates)),
             ("correlation", record.CorrelationId), ("operation", record.OperationId is { } operation ? Sql.Text(operation) : null)],
            cancellationToken);

    public async Task<IReadOnlyList<AuditRecord>> ListAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        var conditions = new List<string>();
        var parameters = new List<(string, object?)> { ("limit", (long)query.Limit) };
        if (query.OrganizationId is { } organization) Add("organization_id = @organization", "organization", Sql.Text(organization));
        // Caller ids are compared case-insensitively everywhere (Callers:Organizations).
        if (query.CallerId is { } caller) Add("LOWER(caller_id) = @caller", "caller", caller.ToLowerInvariant());
        if (query.Action is { } action) Add("action = @action", "action", action);
        if (query.From is { } from) Add("recorded_at >= @from", "from", Sql.Millis(from));
        if (query.To is { } to) Add("recorded_at < @to", "to", Sql.Millis(to));
        if (query.After is { } after)
        {
            conditions.Add("(recorded_at < @afterAt OR (recorded_at = @afterAt AND audit_id < @afterId))");
            parameters.Add(("afterAt", Sql.Millis(after.RecordedAt)));
            parameters.Add(("afterId", Sql.Text(after.AuditId)));
        }

        var where = new StringBuilder();
        if (conditions.Count > 0) where.Append("WHERE ").AppendJoin(" AND ", conditions);
        await using var connection = await schema.OpenAsync(cancellationToken);
        return await Sql.QueryAsync(connection, null, $"""
            SELECT audit_id, recorded_at, caller_id, organization_id, action, method, path, status, outcome,
                quantity_wh, certificates, correlation_id, operation_id
            FROM audit_records {where}
            ORDER BY recorded_at DESC, audit_id DESC LIMIT @limit
            """,
            parameters, Read, cancellationToken);

        void Add(string condition, string name, object value)
        {
            conditions.Add(condition);
            parameters.Add((name, value));
        }
    }

    private static AuditRecord Read(DbDataReader reader) => new()
    {
        AuditId = Guid.Parse(reader.GetString(reader.GetOrdinal("audit_id"))),
        RecordedAt = Sql.Instant(reader.GetInt64(reader.GetOrdinal("recorded_at"))),
        CallerId = reader.GetString(reader.GetOrdinal("caller_id")),
        OrganizationId = reader.NullableGuid(reader.GetOrdinal("organization_id")),
        Action = reader.GetString(reader.GetOrdinal("action")),
        Method = reader.GetString(reader.GetOrdinal("method")),
        Path = reader.GetString(reader.GetOrdinal("path")),
        Status = (int)reader.GetInt64(reader.GetOrdinal("status")),
        Outcome = reader.GetString(reader.GetOrdinal("outcome")),
        QuantityWh = reader.NullableInt64(reader.GetOrdinal("quantity_wh")),
        Certificates = JsonSerializer.Deserialize<string[]>(reader.GetString(reader.GetOrdinal("certificates")))!,
        CorrelationId = reader.GetString(reader.GetOrdinal("correlation_id")),
        OperationId = reader.NullableGuid(reader.GetOrdinal("operation_id")),
    };
}
