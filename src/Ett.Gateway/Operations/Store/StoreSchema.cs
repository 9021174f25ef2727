namespace Ett.Gateway.Operations.Store;

/// <summary>Versioned schema: each start-up applies, under a lock, the migrations the database has not recorded yet.</summary>
internal static class StoreSchema
{
    private static IReadOnlyList<string[]> Migrations(StoreDatabase database) =>
    [
        [
            $"""
            CREATE TABLE idempotency_keys (
                caller_id TEXT NOT NULL,
                idempotency_key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                state TEXT NOT NULL,
                lease_owner TEXT NULL,
                lease_token TEXT NULL,
                lease_expires_at BIGINT NULL,
                operation_id TEXT NULL,
                response_status BIGINT NULL,
                response_content_type TEXT NULL,
                response_headers TEXT NULL,
                response_body {database.BytesType} NULL,
                created_at BIGINT NOT NULL,
                completed_at BIGINT NULL,
                expires_at BIGINT NOT NULL,
                PRIMARY KEY (caller_id, idempotency_key))
            """,
            "CREATE INDEX ix_idempotency_keys_expires_at ON idempotency_keys (expires_at)",
            """
            CREATE TABLE operations (
                operation_id TEXT NOT NULL PRIMARY KEY,
                organization_id TEXT NOT NULL,
                caller_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                requested_wh BIGINT NOT NULL,
                status TEXT NOT NULL,
                request_json TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            "CREATE INDEX ix_operations_organization ON operations (organization_id, created_at)",
            """
            CREATE TABLE operation_legs (
                leg_id TEXT NOT NULL PRIMARY KEY,
                operation_id TEXT NOT NULL REFERENCES operations (operation_id),
                sequence BIGINT NOT NULL,
                production_registry TEXT NOT NULL,
                production_stream_id TEXT NOT NULL,
                consumption_registry TEXT NULL,
                consumption_stream_id TEXT NULL,
                receiver_id TEXT NULL,
                quantity_wh BIGINT NOT NULL,
                hashed_attributes TEXT NOT NULL,
                status TEXT NOT NULL,
                ett_request_id TEXT NULL,
                detail TEXT NULL,
                updated_at BIGINT NOT NULL,
                UNIQUE (operation_id, sequence))
            """,
            "CREATE INDEX ix_operation_legs_status ON operation_legs (status, updated_at)",
        ],
        [
            // Partners (Features/Partners): the receiverId of each registered partner, so transfers need no ETT call to find it.
            """
            CREATE TABLE partners (
                partner_id TEXT NOT NULL PRIMARY KEY,
                organization_id TEXT NOT NULL,
                name TEXT NOT NULL,
                partner_organization_id TEXT NULL,
                receiver_id TEXT NOT NULL,
                created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX ix_partners_organization ON partners (organization_id, created_at)",
            // One implicit registration per partner organization, even when two transfers race to create it.
            "CREATE UNIQUE INDEX ux_partners_partner_organization ON partners (organization_id, partner_organization_id)",
        ],
        [
            // The worker's claim on a leg: one instance polls, reconciles or resumes it at a time.
            "ALTER TABLE operation_legs ADD COLUMN claimed_by TEXT NULL",
            "ALTER TABLE operation_legs ADD COLUMN claimed_until BIGINT NULL",
            // Permanent request-status failures (e.g. 404) so far; past a bound the leg goes to reconciliation.
            "ALTER TABLE operation_legs ADD COLUMN status_failures BIGINT NOT NULL DEFAULT 0",
            // The reconciler's lookup of the journal's own legs of one certificate, and the reservation's open operations.
            "CREATE INDEX ix_operation_legs_certificate ON operation_legs (production_registry, production_stream_id)",
            "CREATE INDEX ix_operations_open ON operations (organization_id, status, updated_at)",
            "CREATE INDEX ix_idempotency_keys_lease ON idempotency_keys (state, lease_expires_at)",
        ],
        [
            // The correlation id of the request that created the operation (Observability/Correlation); null before.
            "ALTER TABLE operations ADD COLUMN correlation_id TEXT NULL",
        ],
        [
            // The audit trail (Observability/AuditMiddleware): one row per state-changing call, read newest first.
            """
            CREATE TABLE audit_records (
                audit_id TEXT NOT NULL PRIMARY KEY,
                recorded_at BIGINT NOT NULL,
                caller_id TEXT NOT NULL,
                organization_id TEXT NULL,
                action TEXT NOT NULL,
                method TEXT NOT NULL,
                path TEXT NOT NULL,
                status BIGINT NOT NULL,
                outcome TEXT NOT NULL,
                quantity_wh BIGINT NULL,
                certificates TEXT NOT NULL,
                correlation_id TEXT NOT NULL,
                operation_id TEXT NULL)
            """,
            "CREATE INDEX ix_audit_records_recorded ON audit_records (recorded_at, audit_id)",
            "CREATE INDEX ix_audit_records_organization ON audit_records (organization_id, recorded_at)",
            "CREATE INDEX ix_audit_records_caller ON audit_records (caller_id, recorded_at)",
        ],
        [
            // ASP.NET Core Data Protection's key ring (ClientSecrets/StoreKeyRing), shared by every instance.
            """
            CREATE TABLE data_protection_keys (
                element_id TEXT NOT NULL PRIMARY KEY,
                friendly_name TEXT NULL,
                xml TEXT NOT NULL,
                stored_at BIGINT NOT NULL)
            """,
            // Automatic rotation of ETT client secrets (ClientSecrets/ClientSecretRotation): per client the rotated-in
            // secret (Data Protection ciphertext), the lease of the one instance rotating it, the intent to create a
            // secret at ETT (a crash after it may leave an unknown secret there) and the old secret still to delete.
            """
            CREATE TABLE ett_client_secrets (
                client_name TEXT NOT NULL PRIMARY KEY,
                client_id TEXT NOT NULL,
                key_id TEXT NULL,
                protected_secret TEXT NULL,
                expires_at BIGINT NULL,
                switched_at BIGINT NULL,
                lease_owner TEXT NULL,
                lease_expires_at BIGINT NULL,
                creating_since BIGINT NULL,
                retire_key_id TEXT NULL,
                retire_after BIGINT NULL)
            """,
        ],
        [
            // The reservation's operations changed since a planning read (SqlOperationsStore.ReservedSql), found by
            // index instead of among every operation the organization ever had.
            "CREATE INDEX ix_operations_changed ON operations (organization_id, updated_at)",
        ],
        [
            // The worker's own legs by claim (reading and releasing them), and the live attempts by operation (which
            // planned legs to resume): both walked the whole table, under the write lock, on every worker iteration.
            // Partial, so that they hold only claimed legs and in-flight keys.
            "CREATE INDEX ix_operation_legs_claimed ON operation_legs (claimed_by) WHERE claimed_by IS NOT NULL",
            "CREATE INDEX ix_idempotency_keys_in_flight ON idempotency_keys (operation_id, lease_expires_at) WHERE state = 'inFlight'",
        ],
        [
            // The leg's organization (its operation's, which never changes), so that a reservation sums the legs queued
            // behind a certificate's leg in flight from one covering index instead of an operation and a leg per queued
            // leg (SqlOperationsStore.ReservedSql, which repeats the condition so that the index applies; status ends the
            // columns only so that the index covers the query).
            "ALTER TABLE operation_legs ADD COLUMN organization_id TEXT NULL",
            "UPDATE operation_legs SET organization_id = (SELECT o.organization_id FROM operations o WHERE o.operation_id = operation_legs.operation_id)",
            """
            CREATE INDEX ix_operation_legs_unsettled ON operation_legs
                (organization_id, production_registry, production_stream_id, consumption_registry, consumption_stream_id, quantity_wh, status)
                WHERE status IN ('planned', 'intentRecorded', 'unknown')
            """,
        ],
    ];

    /// <summary>A new migration is one more entry above; applied ones are never edited.</summary>
    public static int LatestVersion => 9;

    public static async Task MigrateAsync(StoreDatabase database, TimeProvider time, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenForWritingAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await database.LockSchemaAsync(connection, transaction, cancellationToken);

        await Sql.ExecuteAsync(connection, transaction,
            "CREATE TABLE IF NOT EXISTS operations_schema (version BIGINT NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)",
            [], cancellationToken);
        var current = await Sql.ScalarAsync(connection, transaction, "SELECT MAX(version) FROM operations_schema", [], cancellationToken);
        var applied = current is null or DBNull ? 0 : Convert.ToInt32(current, System.Globalization.CultureInfo.InvariantCulture);

        var migrations = Migrations(database);
        for (var version = applied + 1; version <= migrations.Count; version++)
        {
            foreach (var statement in migrations[version - 1])
            {
                await Sql.ExecuteAsync(connection, transaction, statement, [], cancellationToken);
            }
            await Sql.ExecuteAsync(connection, transaction,
                "INSERT INTO operations_schema (version, applied_at) VALUES (@version, @now)",
                [("version", (long)version), ("now", time.GetUtcNow().ToUnixTimeMilliseconds())], cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
