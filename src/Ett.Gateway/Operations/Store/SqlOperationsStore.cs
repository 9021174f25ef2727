using System.Data.Common;
using System.Text.Json;
using Ett.Gateway.Observability;

namespace Ett.Gateway.Operations.Store;

/// <summary>
/// Both stores over one SQL dialect (SQLite and PostgreSQL differ only in <see cref="StoreDatabase"/>). Every decision
/// that two instances could race on is one conditional statement or one transaction, never an in-process lock.
/// Times come from <see cref="TimeProvider"/> and are stored as unix milliseconds.
/// </summary>
internal sealed class SqlOperationsStore(StoreDatabase database, TimeProvider time, TimeSpan idempotencyRetention)
    : IIdempotencyStore, IOperationStore
{
    private const string Completed = "completed";

    // Kept on the lease for diagnostics ("which instance holds this key"); the lease token is what fences.
    private readonly string instanceId = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    private readonly Lock schemaGate = new();
    private Task? schemaReady;

    /// <summary>Creates or migrates the schema once per store; a failed attempt is retried by the next caller.</summary>
    public Task InitializeAsync()
    {
        if (schemaReady is { IsCompletedSuccessfully: true } ready) return ready;
        lock (schemaGate)
        {
            if (schemaReady is null || schemaReady.IsFaulted || schemaReady.IsCanceled)
            {
                schemaReady = StoreSchema.MigrateAsync(database, time, CancellationToken.None);
            }
            return schemaReady;
        }
    }

    /// <summary>A connection to the store's database for reading, once its schema is in place (the other stores' tables too).</summary>
    internal async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync().WaitAsync(cancellationToken);
        return await database.OpenAsync(cancellationToken);
    }

    /// <summary>A connection for work that writes (<see cref="StoreDatabase.OpenForWritingAsync"/>).</summary>
    internal async Task<DbConnection> OpenForWritingAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync().WaitAsync(cancellationToken);
        return await database.OpenForWritingAsync(cancellationToken);
    }

    private long Now() => Sql.Millis(time.GetUtcNow());

    // ---- Idempotency keys ----

    public async Task<IdempotencyBegin> TryBeginAsync(string callerId, string key, string fingerprint, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        await using var connection = await OpenForWritingAsync(cancellationToken);
        // Each round either decides or observed another attempt change the record; a few rounds settle any race.
        for (var round = 0; round < 5; round++)
        {
            var now = time.GetUtcNow();
            var lease = new IdempotencyLease(callerId, key, Guid.NewGuid());
            var leaseExpiresAt = now + leaseDuration;

            var inserted = await Sql.ExecuteAsync(connection, null, """
                INSERT INTO idempotency_keys (caller_id, idempotency_key, fingerprint, state, lease_owner, lease_token, lease_expires_at, created_at, expires_at)
                VALUES (@caller, @key, @fingerprint, 'inFlight', @owner, @token, @leaseExpires, @now, @expires)
                ON CONFLICT (caller_id, idempotency_key) DO NOTHING
                """,
                [("caller", callerId), ("key", key), ("fingerprint", fingerprint), ("owner", instanceId), ("token", Sql.Text(lease.Token)),
                 ("leaseExpires", Sql.Millis(leaseExpiresAt)), ("now", Sql.Millis(now)), ("expires", Sql.Millis(now + idempotencyRetention))],
                cancellationToken);
            if (inserted == 1) return new IdempotencyBegin.Started(lease, leaseExpiresAt, IsResume: false, OperationId: null);

            var existing = await ReadKeyAsync(connection, callerId, key, cancellationToken);
            if (existing is null) continue;

            if (existing.ExpiresAt <= Sql.Millis(now) && Purgeable(existing, Sql.Millis(now)))
            {
                // Past retention the key is free again (the draft lets servers forget keys after the retention period).
                await Sql.ExecuteAsync(connection, null, $"DELETE FROM idempotency_keys WHERE caller_id = @caller AND idempotency_key = @key AND {PurgeCondition}",
                    [("caller", callerId), ("key", key), ("now", Sql.Millis(now))], cancellationToken);
                continue;
            }

            if (!string.Equals(existing.Fingerprint, fingerprint, StringComparison.Ordinal)) return new IdempotencyBegin.FingerprintMismatch();
            if (existing.State == Completed) return new IdempotencyBegin.Replay(existing.Response!, existing.OperationId);
            if (existing.LeaseExpiresAt > Sql.Millis(now)) return new IdempotencyBegin.InFlight(Sql.Instant(existing.LeaseExpiresAt!.Value));

            // The holder's lease ran out (its instance died or stalled): take over exactly that lease, or lose the race.
            // RETURNING reads the operation id in the same statement, so an attach by the old holder is never missed.
            var takenOver = await Sql.QueryAsync(connection, null, """
                UPDATE idempotency_keys SET lease_owner = @owner, lease_token = @token, lease_expires_at = @leaseExpires
                WHERE caller_id = @caller AND idempotency_key = @key AND state = 'inFlight' AND lease_token = @observed AND lease_expires_at <= @now
                RETURNING operation_id
                """,
                [("owner", instanceId), ("token", Sql.Text(lease.Token)), ("leaseExpires", Sql.Millis(leaseExpiresAt)),
                 ("caller", callerId), ("key", key), ("observed", existing.LeaseToken), ("now", Sql.Millis(now))],
                reader => reader.NullableGuid(0), cancellationToken);
            if (takenOver.Count == 1) return new IdempotencyBegin.Started(lease, leaseExpiresAt, IsResume: true, OperationId: takenOver[0]);
        }

        return new IdempotencyBegin.InFlight(time.GetUtcNow());
    }

    public Task<bool> CompleteAsync(IdempotencyLease lease, StoredResponse response, AuditRecord? audit, CancellationToken cancellationToken) =>
        CompleteKeyAsync(lease, response, "", audit, cancellationToken);

    public async Task<IReadOnlyList<AbandonedKey>> ListAbandonedAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await Sql.QueryAsync(connection, null, """
            SELECT caller_id, idempotency_key, lease_token, operation_id FROM idempotency_keys
            WHERE state = 'inFlight' AND lease_expires_at <= @now AND operation_id IS NOT NULL
            ORDER BY lease_expires_at LIMIT @limit
            """,
            [("now", Now()), ("limit", (long)limit)],
            reader => new AbandonedKey(new IdempotencyLease(reader.GetString(0), reader.GetString(1), Guid.Parse(reader.GetString(2))), Guid.Parse(reader.GetString(3))),
            cancellationToken);
    }

    public Task<bool> CompleteAbandonedAsync(AbandonedKey key, StoredResponse response, CancellationToken cancellationToken) =>
        CompleteKeyAsync(key.Lease, response, " AND lease_expires_at <= @now", null, cancellationToken);

    private async Task<bool> CompleteKeyAsync(IdempotencyLease lease, StoredResponse response, string condition, AuditRecord? audit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenForWritingAsync(cancellationToken);
        await using var transaction = audit is null ? null : await connection.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        // Retention counts from the response, so a replay is available for the whole period after the caller got it.
        var completed = await Sql.ExecuteAsync(connection, transaction, $"""
            UPDATE idempotency_keys
            SET state = 'completed', response_status = @status, response_content_type = @contentType, response_headers = @headers,
                response_body = @body, completed_at = @now, expires_at = @expires, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
            WHERE caller_id = @caller AND idempotency_key = @key AND state = 'inFlight' AND lease_token = @token{condition}
            """,
            [("status", (long)response.StatusCode), ("contentType", response.ContentType), ("headers", JsonSerializer.Serialize(response.Headers)),
             ("body", response.Body), ("now", Sql.Millis(now)), ("expires", Sql.Millis(now + idempotencyRetention)), .. LeaseParameters(lease)],
            cancellationToken) == 1;
        if (transaction is null) return completed;
        await SqlAuditStore.InsertAsync(connection, transaction, audit!, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return completed;
    }

    public async Task<bool> RenewLeaseAsync(IdempotencyLease lease, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        await using var connection = await OpenForWritingAsync(cancellationToken);
        return await Sql.ExecuteAsync(connection, null, """
            UPDATE idempotency_keys SET lease_expires_at = @leaseExpires
            WHERE caller_id = @caller AND idempotency_key = @key AND state = 'inFlight' AND lease_token = @token
            """,
            [("leaseExpires", Sql.Millis(time.GetUtcNow() + leaseDuration)), .. LeaseParameters(lease)], cancellationToken) == 1;
    }

    public async Task<bool> ReleaseAsync(IdempotencyLease lease, CancellationToken cancellationToken)
    {
        await using var connection = await OpenForWritingAsync(cancellationToken);
        return await Sql.ExecuteAsync(connection, null,
            // Never a key that owns an operation: a retry must resume it, not start a second one.
            "DELETE FROM idempotency_keys WHERE caller_id = @caller AND idempotency_key = @key AND state = 'inFlight' AND lease_token = @token AND operation_id IS NULL",
            LeaseParameters(lease), cancellationToken) == 1;
    }

    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenForWritingAsync(cancellationToken);
        return await Sql.ExecuteAsync(connection, null, $"DELETE FROM idempotency_keys WHERE {PurgeCondition}", [("now", Now())], cancellationToken);
    }

    // An unfinished key that owns an operation is kept past retention: forgetting it would let a late retry start a
    // second operation, i.e. move the certificates twice.
    private const string PurgeCondition =
        "expires_at <= @now AND (state = 'completed' OR (lease_expires_at <= @now AND operation_id IS NULL))";

    private static bool Purgeable(KeyRow row, long now) =>
        row.ExpiresAt <= now && (row.State == Completed || (row.LeaseExpiresAt <= now && row.OperationId is null));

    private static (string, object?)[] LeaseParameters(IdempotencyLease lease) =>
        [("caller", lease.CallerId), ("key", lease.Key), ("token", Sql.Text(lease.Token))];

    private sealed record KeyRow(string Fingerprint, string State, string? LeaseToken, long? LeaseExpiresAt, Guid? OperationId, long ExpiresAt, StoredResponse? Response);

    private static async Task<KeyRow?> ReadKeyAsync(DbConnection connection, string callerId, string key, CancellationToken cancellationToken)
    {
        var rows = await Sql.QueryAsync(connection, null, """
            SELECT fingerprint, state, lease_token, lease_expires_at, operation_id, expires_at,
                   response_status, response_content_type, response_headers, response_body
            FROM idempotency_keys WHERE caller_id = @caller AND idempotency_key = @key
            """,
            [("caller", callerId), ("key", key)],
            reader => new KeyRow(
                reader.GetString(0), reader.GetString(1), reader.NullableString(2), reader.NullableInt64(3), reader.NullableGuid(4), reader.GetInt64(5),
                reader.GetString(1) == Completed
                    ? new StoredResponse(
                        (int)reader.GetInt64(6),
                        reader.NullableString(7),
                        JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(8))!,
                        reader.IsDBNull(9) ? [] : (byte[])reader.GetValue(9))
                    : null),
            cancellationToken);
        return rows.SingleOrDefault();
    }

    /// <summary>How many operations (per kind and status) and legs (per status) the store holds: the metrics' gauges.</summary>
    public async Task<StoreStatusCounts> CountByStatusAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var operations = await Sql.QueryAsync(connection, null, "SELECT kind, status, COUNT(*) FROM operations GROUP BY kind, status", [],
            reader => (reader.GetString(0), reader.GetString(1), reader.GetInt64(2)), cancellationToken);
        var legs = await Sql.QueryAsync(connection, null, "SELECT status, COUNT(*) FROM operation_legs GROUP BY status", [],
            reader => (reader.GetString(0), reader.GetInt64(1)), cancellationToken);
        return new StoreStatusCounts(operations, legs);
    }

    // ---- Operations journal ----

    public async Task<Reservation> ReserveAsync(
        Guid organizationId, IdempotencyLease lease, DateTimeOffset ettReadAt,
        Func<ReservedCertificates, NewOperation?> plan, CancellationToken cancellationToken)
    {
        await using var connection = await OpenForWritingAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await database.LockOrganizationAsync(connection, transaction, organizationId, cancellationToken);

        var reserved = await ReservedAsync(connection, transaction, organizationId, ettReadAt, cancellationToken);
        if (plan(reserved) is not { } operation) return new Reservation.Refused();
        if (operation.OrganizationId != organizationId) throw new ArgumentException("The plan is for another organization.", nameof(plan));

        var now = time.GetUtcNow();
        var operationId = Guid.CreateVersion7(now);
        var status = OperationStatusRules.Derive(operation.Legs.Select(_ => LegStatus.Planned).ToList());
        var legs = operation.Legs.Select((leg, sequence) => new OperationLeg
        {
            Id = Guid.CreateVersion7(now),
            OperationId = operationId,
            Sequence = sequence,
            ProductionCertificate = leg.ProductionCertificate,
            ConsumptionCertificate = leg.ConsumptionCertificate,
            ReceiverId = leg.ReceiverId,
            QuantityWh = leg.QuantityWh,
            HashedAttributes = leg.HashedAttributes,
            Status = LegStatus.Planned,
            UpdatedAt = now,
        }).ToList();

        var attached = await Sql.ExecuteAsync(connection, transaction, """
            UPDATE idempotency_keys SET operation_id = @operation
            WHERE caller_id = @caller AND idempotency_key = @key AND state = 'inFlight' AND lease_token = @token AND operation_id IS NULL
            """,
            [("operation", Sql.Text(operationId)), .. LeaseParameters(lease)], cancellationToken);
        if (attached != 1) return new Reservation.LeaseLost();

        await Sql.ExecuteAsync(connection, transaction, """
            INSERT INTO operations (operation_id, organization_id, caller_id, kind, requested_wh, status, request_json, correlation_id, created_at, updated_at)
            VALUES (@id, @organization, @caller, @kind, @requested, @status, @request, @correlation, @now, @now)
            """,
            [("id", Sql.Text(operationId)), ("organization", Sql.Text(operation.OrganizationId)), ("caller", operation.CallerId),
             ("kind", Sql.Name(operation.Kind)), ("requested", operation.RequestedWh), ("status", Sql.Name(status)),
             ("request", operation.RequestJson), ("correlation", operation.CorrelationId), ("now", Sql.Millis(now))],
            cancellationToken);

        foreach (var leg in legs)
        {
            await Sql.ExecuteAsync(connection, transaction, """
                INSERT INTO operation_legs (leg_id, operation_id, organization_id, sequence, production_registry, production_stream_id, consumption_registry,
                    consumption_stream_id, receiver_id, quantity_wh, hashed_attributes, status, updated_at)
                VALUES (@id, @operation, @organization, @sequence, @productionRegistry, @productionStream, @consumptionRegistry,
                    @consumptionStream, @receiver, @quantity, @hashed, @status, @now)
                """,
                [("id", Sql.Text(leg.Id)), ("operation", Sql.Text(operationId)), ("organization", Sql.Text(operation.OrganizationId)), ("sequence", (long)leg.Sequence),
                 ("productionRegistry", leg.ProductionCertificate.Registry), ("productionStream", Sql.Text(leg.ProductionCertificate.StreamId)),
                 ("consumptionRegistry", leg.ConsumptionCertificate?.Registry),
                 ("consumptionStream", leg.ConsumptionCertificate is { } consumption ? Sql.Text(consumption.StreamId) : null),
                 ("receiver", leg.ReceiverId is { } receiver ? Sql.Text(receiver) : null), ("quantity", leg.QuantityWh),
                 ("hashed", JsonSerializer.Serialize(leg.HashedAttributes)), ("status", Sql.Name(LegStatus.Planned)), ("now", Sql.Millis(now))],
                cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new Reservation.Created(new OperationRecord
        {
            Id = operationId,
            OrganizationId = operation.OrganizationId,
            CallerId = operation.CallerId,
            Kind = operation.Kind,
            RequestedWh = operation.RequestedWh,
            Status = status,
            RequestJson = operation.RequestJson,
            CreatedAt = Sql.Instant(Sql.Millis(now)),
            UpdatedAt = Sql.Instant(Sql.Millis(now)),
            Legs = legs.Select(leg => leg with { UpdatedAt = Sql.Instant(Sql.Millis(now)) }).ToList(),
        });
    }

    /// <summary>
    /// The legs a reservation counts: those not final, and those that became final since the read. A leg that is not
    /// final belongs to an accepted or running operation, and a leg made final touched its operation in the same
    /// transaction, so these are exactly the legs of the open operations and of those changed since the read, found
    /// without going through the operations. The unsettled ones (planned, intent recorded, unknown) are the queue
    /// that waits behind a certificate's leg in flight and can grow to thousands: they are read from a covering index of
    /// their own, by the organization kept on the leg (migration 9), so a reservation under the write lock does not
    /// look up an operation and a leg row per queued leg. A leg journaled without it (an instance older than the
    /// column, beside newer ones) is found through its operation. Submitted legs (few: one per certificate in flight)
    /// and the legs final since the read are found by status and checked against their operation. The queue is summed
    /// per certificate before it meets the others, in the index's order, rather than copied and sorted row by row.
    /// The IN lists are written out as ix_operation_legs_unsettled's condition is, which is what lets the databases use it.
    /// </summary>
    internal const string ReservedSql = """
        WITH recent AS (
            SELECT l.production_registry, l.production_stream_id, l.consumption_registry, l.consumption_stream_id, l.quantity_wh, 1 AS busy
            FROM operation_legs l JOIN operations o ON o.operation_id = l.operation_id
            WHERE l.organization_id IS NULL AND l.status IN ('planned', 'intentRecorded', 'unknown') AND o.organization_id = @organization
            UNION ALL
            SELECT l.production_registry, l.production_stream_id, l.consumption_registry, l.consumption_stream_id, l.quantity_wh, 1
            FROM operation_legs l JOIN operations o ON o.operation_id = l.operation_id
            WHERE l.status = @submitted AND o.organization_id = @organization AND NOT (o.kind = @claim AND l.updated_at < @readAt)
            UNION ALL
            SELECT l.production_registry, l.production_stream_id, l.consumption_registry, l.consumption_stream_id, l.quantity_wh, 0
            FROM operation_legs l JOIN operations o ON o.operation_id = l.operation_id
            WHERE l.status IN (@completed, @failed) AND l.updated_at >= @readAt AND o.organization_id = @organization),
        certificates AS (
            SELECT production_registry AS registry, production_stream_id AS stream_id, SUM(quantity_wh) AS wh, 1 AS busy
            FROM operation_legs WHERE organization_id = @organization AND status IN ('planned', 'intentRecorded', 'unknown')
            GROUP BY production_registry, production_stream_id
            UNION ALL
            SELECT consumption_registry, consumption_stream_id, SUM(quantity_wh), 1
            FROM operation_legs WHERE organization_id = @organization AND status IN ('planned', 'intentRecorded', 'unknown') AND consumption_registry IS NOT NULL
            GROUP BY consumption_registry, consumption_stream_id
            UNION ALL
            SELECT production_registry, production_stream_id, quantity_wh, busy FROM recent
            UNION ALL
            SELECT consumption_registry, consumption_stream_id, quantity_wh, busy FROM recent WHERE consumption_registry IS NOT NULL)
        SELECT registry, stream_id, CAST(SUM(wh) AS BIGINT), MAX(busy) FROM certificates GROUP BY registry, stream_id
        """;

    /// <summary>
    /// Quantity per certificate that the organization's legs still take beyond what ETT showed at ettReadAt. A leg is
    /// left out only when ETT had certainly applied or released it before that read: final (ETT finished it), or a
    /// submitted claim (ETT reserves claims during the POST), and journaled so before the read. A submitted transfer
    /// counts until the worker saw it finish: planning errs towards 422, never towards a failing POST.
    /// </summary>
    private static async Task<ReservedCertificates> ReservedAsync(
        DbConnection connection, DbTransaction transaction, Guid organizationId, DateTimeOffset ettReadAt, CancellationToken cancellationToken)
    {
        // Summed per certificate in the database: an organization with many legs in flight reads one row per certificate.
        var sums = await Sql.QueryAsync(connection, transaction, ReservedSql,
            [("organization", Sql.Text(organizationId)),
             ("readAt", Sql.Millis(ettReadAt)), ("completed", Sql.Name(LegStatus.Completed)), ("failed", Sql.Name(LegStatus.Failed)),
             ("claim", Sql.Name(OperationKind.Claim)), ("submitted", Sql.Name(LegStatus.Submitted))],
            reader => (Certificate: new CertificateRef(reader.GetString(0), Guid.Parse(reader.GetString(1))), Quantity: reader.GetInt64(2), Busy: reader.GetInt64(3) == 1),
            cancellationToken);
        var reserved = new Dictionary<CertificateRef, long>(sums.Count);
        var busy = new HashSet<CertificateRef>();
        foreach (var (certificate, quantity, open) in sums)
        {
            reserved[certificate] = reserved.GetValueOrDefault(certificate) + quantity;
            if (open) busy.Add(certificate);
        }
        return new ReservedCertificates(reserved, busy);
    }

    // The intent is the one commit that must be on disk before ETT is called: lost, the leg would be sent again.
    public Task<bool> RecordIntentAsync(Guid legId, CancellationToken cancellationToken) =>
        MoveLegAsync(legId, LegStatus.Planned, LegStatus.IntentRecorded, null, null, cancellationToken, durable: true);

    /// <summary>
    /// One leg in flight per certificate and organization: ETT's wallet reserves whole slices and gives a partial
    /// slice's remainder back only once the split is registered (PW TransferCertificateCommandHandler, ReserveQuantity),
    /// so a second request on the same certificate sent meanwhile fails at ETT although the quantity is there.
    /// The organization's lock makes the check and the move one step on PostgreSQL (SQLite has one writer anyway).
    /// </summary>
    private const string NoOtherLegInFlight = """
         AND NOT EXISTS (
            SELECT 1 FROM operation_legs other JOIN operations other_operation ON other_operation.operation_id = other.operation_id
            WHERE other.leg_id <> @leg AND other.status IN (@intent, @submitted) AND other_operation.organization_id = @organization
              AND ((other.production_registry = @production_registry AND other.production_stream_id = @production_stream)
                OR (other.consumption_registry = @consumption_registry AND other.consumption_stream_id = @consumption_stream)))
        """;

    public Task<bool> RecordSubmittedAsync(Guid legId, Guid ettRequestId, CancellationToken cancellationToken) =>
        MoveLegAsync(legId, LegStatus.IntentRecorded, LegStatus.Submitted, ettRequestId, null, cancellationToken);

    public Task<bool> MarkUnknownAsync(Guid legId, CancellationToken cancellationToken) =>
        MoveLegAsync(legId, LegStatus.IntentRecorded, LegStatus.Unknown, null, null, cancellationToken);

    public Task<bool> SetLegStatusAsync(Guid legId, LegStatus expected, LegStatus next, string? detail, CancellationToken cancellationToken) =>
        MoveLegAsync(legId, expected, next, null, detail, cancellationToken);

    private async Task<bool> MoveLegAsync(
        Guid legId, LegStatus from, LegStatus to, Guid? ettRequestId, string? detail, CancellationToken cancellationToken, bool durable = false)
    {
        if (!OperationStatusRules.CanMove(from, to)) throw new ArgumentException($"A leg cannot move from {from} to {to}.", nameof(to));

        await using var connection = await OpenForWritingAsync(cancellationToken);
        var leg = (await Sql.QueryAsync(connection, null, """
            SELECT l.operation_id, o.organization_id, l.production_registry, l.production_stream_id, l.consumption_registry, l.consumption_stream_id
            FROM operation_legs l JOIN operations o ON o.operation_id = l.operation_id WHERE l.leg_id = @leg
            """,
            [("leg", Sql.Text(legId))],
            reader => (Operation: reader.GetString(0), Organization: reader.GetString(1), ProductionRegistry: reader.GetString(2),
                ProductionStream: reader.GetString(3), ConsumptionRegistry: reader.NullableString(4), ConsumptionStream: reader.NullableString(5)),
            cancellationToken)).SingleOrDefault();
        if (leg.Operation is not { } operationId) return false;

        var now = Now();
        await using var transaction = durable
            ? await database.BeginDurableTransactionAsync(connection, cancellationToken)
            : await connection.BeginTransactionAsync(cancellationToken);
        var sending = to == LegStatus.IntentRecorded;
        if (sending) await database.LockOrganizationAsync(connection, transaction, Guid.Parse(leg.Organization), cancellationToken);
        // Touch the operation first: its row lock makes concurrent leg changes of one operation derive its status in turn.
        await Sql.ExecuteAsync(connection, transaction, "UPDATE operations SET updated_at = @now WHERE operation_id = @operation",
            [("now", now), ("operation", operationId)], cancellationToken);

        var set = "status = @to, updated_at = @now";
        List<(string, object?)> parameters = [("to", Sql.Name(to)), ("now", now), ("leg", Sql.Text(legId)), ("from", Sql.Name(from))];
        if (ettRequestId is { } request)
        {
            set += ", ett_request_id = @request";
            parameters.Add(("request", Sql.Text(request)));
        }
        if (detail is not null)
        {
            set += ", detail = @detail";
            parameters.Add(("detail", detail));
        }
        if (sending)
        {
            parameters.AddRange([("intent", Sql.Name(LegStatus.IntentRecorded)), ("submitted", Sql.Name(LegStatus.Submitted)),
                ("organization", leg.Organization), ("production_registry", leg.ProductionRegistry), ("production_stream", leg.ProductionStream),
                ("consumption_registry", leg.ConsumptionRegistry), ("consumption_stream", leg.ConsumptionStream)]);
        }
        var moved = await Sql.ExecuteAsync(connection, transaction,
            $"UPDATE operation_legs SET {set} WHERE leg_id = @leg AND status = @from" + (sending ? NoOtherLegInFlight : ""),
            parameters, cancellationToken);
        if (moved != 1) return false;

        var statuses = await Sql.QueryAsync(connection, transaction, "SELECT status FROM operation_legs WHERE operation_id = @operation",
            [("operation", operationId)], reader => Sql.Parse<LegStatus>(reader.GetString(0)), cancellationToken);
        await Sql.ExecuteAsync(connection, transaction, "UPDATE operations SET status = @status WHERE operation_id = @operation",
            [("status", Sql.Name(OperationStatusRules.Derive(statuses))), ("operation", operationId)], cancellationToken);

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<OperationRecord?> GetOperationAsync(Guid operationId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var operations = await ReadOperationsAsync(connection, "WHERE operation_id = @operation", [("operation", Sql.Text(operationId))], cancellationToken);
        return operations.SingleOrDefault();
    }

    public async Task<IReadOnlyList<OperationRecord>> ListOperationsAsync(Guid organizationId, OperationStatus? status, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        List<(string, object?)> parameters = [("organization", Sql.Text(organizationId)), ("limit", (long)limit)];
        if (status is { } wanted) parameters.Add(("status", Sql.Name(wanted)));
        return await ReadOperationsAsync(connection,
            "WHERE organization_id = @organization" + (status is null ? "" : " AND status = @status")
            + " ORDER BY created_at DESC, operation_id DESC LIMIT @limit",
            parameters, cancellationToken);
    }

    public Task<IReadOnlyList<JournalLeg>> ListLegsToPollAsync(DateTimeOffset checkedBefore, int limit, WorkerClaim claim, CancellationToken cancellationToken) =>
        ClaimLegsAsync("l.status = @submitted AND l.updated_at <= @before",
            [("submitted", Sql.Name(LegStatus.Submitted)), ("before", Sql.Millis(checkedBefore))], limit, claim, cancellationToken);

    public async Task<bool> RecordStillPendingAsync(Guid legId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenForWritingAsync(cancellationToken);
        return await Sql.ExecuteAsync(connection, null, "UPDATE operation_legs SET updated_at = @now WHERE leg_id = @leg AND status = @submitted",
            [("now", Now()), ("leg", Sql.Text(legId)), ("submitted", Sql.Name(LegStatus.Submitted))], cancellationToken) == 1;
    }

    public async Task<int> RecordStatusFailureAsync(Guid legId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenForWritingAsync(cancellationToken);
        var counted = await Sql.QueryAsync(connection, null, """
            UPDATE operation_legs SET status_failures = status_failures + 1, updated_at = @now WHERE leg_id = @leg AND status = @submitted
            RETURNING status_failures
            """,
            [("now", Now()), ("leg", Sql.Text(legId)), ("submitted", Sql.Name(LegStatus.Submitted))], reader => (int)reader.GetInt64(0), cancellationToken);
        return counted.SingleOrDefault();
    }

    public Task<IReadOnlyList<JournalLeg>> ListLegsToReconcileAsync(DateTimeOffset changedBefore, int limit, WorkerClaim claim, CancellationToken cancellationToken) =>
        ClaimLegsAsync("((l.status = @intent AND l.ett_request_id IS NULL) OR l.status = @unknown) AND l.updated_at <= @before",
            [("intent", Sql.Name(LegStatus.IntentRecorded)), ("unknown", Sql.Name(LegStatus.Unknown)), ("before", Sql.Millis(changedBefore))],
            limit, claim, cancellationToken);

    public async Task<bool> RecordUndecidedAsync(Guid legId, string detail, CancellationToken cancellationToken)
    {
        await using var connection = await OpenForWritingAsync(cancellationToken);
        return await Sql.ExecuteAsync(connection, null, "UPDATE operation_legs SET detail = @detail, updated_at = @now WHERE leg_id = @leg AND status = @unknown",
            [("detail", detail), ("now", Now()), ("leg", Sql.Text(legId)), ("unknown", Sql.Name(LegStatus.Unknown))], cancellationToken) == 1;
    }

    // A live attempt holds its key's lease and sends its own planned legs; only legs nobody holds are resumed.
    public Task<IReadOnlyList<JournalLeg>> ListLegsToResumeAsync(int limit, WorkerClaim claim, CancellationToken cancellationToken) =>
        ClaimLegsAsync(ResumableCondition, [("planned", Sql.Name(LegStatus.Planned))], limit, claim, cancellationToken);

    /// <summary>Each planned leg looks its attempt up among the in-flight keys by operation (ix_idempotency_keys_in_flight).</summary>
    internal const string ResumableCondition = """
        l.status = @planned AND NOT EXISTS (
            SELECT 1 FROM idempotency_keys k WHERE k.operation_id = l.operation_id AND k.state = 'inFlight' AND k.lease_expires_at > @now)
        """;

    public async Task<IReadOnlyList<OperationLeg>> ListLegsOfCertificateAsync(
        Guid organizationId, OperationKind kind, CertificateRef productionCertificate, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await Sql.QueryAsync(connection, null, $"""
            SELECT {LegColumns} FROM operation_legs l JOIN operations o ON o.operation_id = l.operation_id
            WHERE l.production_registry = @registry AND l.production_stream_id = @stream AND o.organization_id = @organization AND o.kind = @kind
            """,
            [("registry", productionCertificate.Registry), ("stream", Sql.Text(productionCertificate.StreamId)),
             ("organization", Sql.Text(organizationId)), ("kind", Sql.Name(kind))],
            reader => ReadLeg(reader, 0), cancellationToken);
    }

    public async Task ReleaseAsync(WorkerClaim claim, CancellationToken cancellationToken)
    {
        await using var connection = await OpenForWritingAsync(cancellationToken);
        await Sql.ExecuteAsync(connection, null, ReleaseSql, [("token", Sql.Text(claim.Token))], cancellationToken);
    }

    /// <summary>Finds the claim's legs by ix_operation_legs_claimed, as the claim's reads do (<c>l.claimed_by = @token</c>).</summary>
    internal const string ReleaseSql = "UPDATE operation_legs SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = @token";

    /// <summary>
    /// Marks up to limit legs matching the condition as the claim's (free ones, or already its own), then reads them.
    /// On PostgreSQL, SKIP LOCKED lets instances claiming at once take disjoint rows instead of waiting on each other.
    /// </summary>
    private async Task<IReadOnlyList<JournalLeg>> ClaimLegsAsync(
        string condition, IEnumerable<(string, object?)> parameters, int limit, WorkerClaim claim, CancellationToken cancellationToken)
    {
        await using var connection = await OpenForWritingAsync(cancellationToken);
        List<(string, object?)> all = [.. parameters, ("now", Now()), ("limit", (long)limit), ("token", Sql.Text(claim.Token)), ("until", Sql.Millis(claim.Until))];
        await Sql.ExecuteAsync(connection, null, $"""
            UPDATE operation_legs SET claimed_by = @token, claimed_until = @until
            WHERE leg_id IN (
                SELECT l.leg_id FROM operation_legs l
                WHERE {condition} AND (l.claimed_until IS NULL OR l.claimed_until <= @now OR l.claimed_by = @token)
                ORDER BY l.updated_at, l.leg_id LIMIT @limit{database.SkipLocked})
            """,
            all, cancellationToken);
        return await ReadJournalLegsAsync(connection, $"l.claimed_by = @token AND {condition}", all, cancellationToken);
    }

    private const string LegColumns =
        "l.leg_id, l.operation_id, l.sequence, l.production_registry, l.production_stream_id, l.consumption_registry, l.consumption_stream_id, "
        + "l.receiver_id, l.quantity_wh, l.hashed_attributes, l.status, l.ett_request_id, l.detail, l.updated_at";

    private static OperationLeg ReadLeg(DbDataReader reader, int first) => new()
    {
        Id = Guid.Parse(reader.GetString(first)),
        OperationId = Guid.Parse(reader.GetString(first + 1)),
        Sequence = (int)reader.GetInt64(first + 2),
        ProductionCertificate = new CertificateRef(reader.GetString(first + 3), Guid.Parse(reader.GetString(first + 4))),
        ConsumptionCertificate = reader.NullableString(first + 5) is { } registry
            ? new CertificateRef(registry, Guid.Parse(reader.GetString(first + 6)))
            : null,
        ReceiverId = reader.NullableGuid(first + 7),
        QuantityWh = reader.GetInt64(first + 8),
        HashedAttributes = JsonSerializer.Deserialize<string[]>(reader.GetString(first + 9))!,
        Status = Sql.Parse<LegStatus>(reader.GetString(first + 10)),
        EttRequestId = reader.NullableGuid(first + 11),
        Detail = reader.NullableString(first + 12),
        UpdatedAt = Sql.Instant(reader.GetInt64(first + 13)),
    };

    private static async Task<IReadOnlyList<JournalLeg>> ReadJournalLegsAsync(DbConnection connection, string condition, IEnumerable<(string, object?)> parameters, CancellationToken cancellationToken) =>
        await Sql.QueryAsync(connection, null, $"""
            SELECT o.organization_id, o.kind, o.correlation_id, {LegColumns}
            FROM operation_legs l JOIN operations o ON o.operation_id = l.operation_id
            WHERE {condition}
            ORDER BY l.updated_at, l.leg_id LIMIT @limit
            """,
            parameters,
            reader => new JournalLeg(Guid.Parse(reader.GetString(0)), Sql.Parse<OperationKind>(reader.GetString(1)), ReadLeg(reader, 3), reader.NullableString(2)),
            cancellationToken);

    private static async Task<IReadOnlyList<OperationRecord>> ReadOperationsAsync(DbConnection connection, string filter, IEnumerable<(string, object?)> parameters, CancellationToken cancellationToken)
    {
        var operations = await Sql.QueryAsync(connection, null, $"""
            SELECT operation_id, organization_id, caller_id, kind, requested_wh, status, request_json, created_at, updated_at, correlation_id
            FROM operations {filter}
            """,
            parameters,
            reader => new OperationRecord
            {
                Id = Guid.Parse(reader.GetString(0)),
                OrganizationId = Guid.Parse(reader.GetString(1)),
                CallerId = reader.GetString(2),
                Kind = Sql.Parse<OperationKind>(reader.GetString(3)),
                RequestedWh = reader.GetInt64(4),
                Status = Sql.Parse<OperationStatus>(reader.GetString(5)),
                RequestJson = reader.GetString(6),
                CreatedAt = Sql.Instant(reader.GetInt64(7)),
                UpdatedAt = Sql.Instant(reader.GetInt64(8)),
                CorrelationId = reader.NullableString(9),
                Legs = [],
            },
            cancellationToken);
        if (operations.Count == 0) return operations;

        var ids = operations.Select((operation, index) => ($"o{index}", (object?)Sql.Text(operation.Id))).ToList();
        var legs = await Sql.QueryAsync(connection, null,
            $"SELECT {LegColumns} FROM operation_legs l WHERE l.operation_id IN ({string.Join(", ", ids.Select(id => "@" + id.Item1))}) ORDER BY l.sequence",
            ids, reader => ReadLeg(reader, 0), cancellationToken);
        var byOperation = legs.ToLookup(leg => leg.OperationId);
        return operations.Select(operation => operation with { Legs = byOperation[operation.Id].ToList() }).ToList();
    }
}
