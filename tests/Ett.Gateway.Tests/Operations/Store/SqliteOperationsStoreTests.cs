using Ett.Gateway.Operations.Store;
using Ett.Gateway.Tests.Infrastructure;

namespace Ett.Gateway.Tests.Operations.Store;

/// <summary>The store suite on a SQLite file of its own per test.</summary>
public sealed class SqliteOperationsStoreTests : OperationsStoreContract
{
    private readonly string directory = Directory.CreateTempSubdirectory("ett-store-").FullName;

    private protected override Task<StoreDatabase> OpenDatabaseAsync() =>
        Task.FromResult<StoreDatabase>(new SqliteStoreDatabase(Path.Combine(directory, "operations.db")));

    [Fact]
    public async Task The_reservation_sums_queued_legs_from_one_index_and_finds_the_rest_by_status_instead_of_walking_the_organizations_history()
    {
        await using var database = new SqliteStoreDatabase(Path.Combine(directory, "plan.db"));
        await new SqlOperationsStore(database, TestClock.Create(), TimeSpan.FromHours(24)).InitializeAsync();

        var plan = await PlanAsync(database, SqlOperationsStore.ReservedSql, "organization", "readAt", "completed", "failed", "claim", "submitted");

        // The queue behind a certificate's leg in flight: no operation or leg row per queued leg.
        Assert.Contains("SEARCH operation_legs USING COVERING INDEX ix_operation_legs_unsettled (organization_id=?)", plan);
        Assert.Contains("SEARCH l USING INDEX ix_operation_legs_unsettled (organization_id=?)", plan); // journaled without it: NULL
        Assert.Contains("SEARCH l USING INDEX ix_operation_legs_status (status=?)", plan);
        Assert.Contains("SEARCH l USING INDEX ix_operation_legs_status (status=? AND updated_at>?)", plan);
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN operation", StringComparison.Ordinal)
            || step.EndsWith("(organization_id=?)", StringComparison.Ordinal) && step.Contains("operations", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_worker_finds_its_claimed_legs_and_the_live_attempts_by_index_instead_of_walking_every_leg()
    {
        await using var database = new SqliteStoreDatabase(Path.Combine(directory, "plan.db"));
        await new SqlOperationsStore(database, TestClock.Create(), TimeSpan.FromHours(24)).InitializeAsync();

        var release = await PlanAsync(database, SqlOperationsStore.ReleaseSql, "token");
        Assert.Contains("SEARCH operation_legs USING INDEX ix_operation_legs_claimed (claimed_by=?)", release);

        var claimed = await PlanAsync(database, "SELECT l.leg_id FROM operation_legs l WHERE l.claimed_by = @token AND " + SqlOperationsStore.ResumableCondition,
            "token", "planned", "now");
        Assert.Contains("SEARCH l USING INDEX ix_operation_legs_claimed (claimed_by=?)", claimed);
        Assert.Contains("SEARCH k USING COVERING INDEX ix_idempotency_keys_in_flight (operation_id=? AND lease_expires_at>?)", claimed);
        Assert.DoesNotContain(release.Concat(claimed), step => step.StartsWith("SCAN", StringComparison.Ordinal));
    }

    private static async Task<List<string>> PlanAsync(StoreDatabase database, string sql, params string[] parameters)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = name is "now" or "readAt" ? 0L : name;
            command.Parameters.Add(parameter);
        }
        List<string> plan = [];
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) plan.Add(reader.GetString(3));
        return plan;
    }

    protected override Task DropAsync()
    {
        // Pooled connections keep the file open; clear them so the directory can go.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
        return Task.CompletedTask;
    }
}
