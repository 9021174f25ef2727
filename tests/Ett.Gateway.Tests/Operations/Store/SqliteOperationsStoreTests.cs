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
    public async Task The_reservation_finds_open_and_changed_operations_by_index_instead_of_walking_the_organizations_history()
    {
        await using var database = new SqliteStoreDatabase(Path.Combine(directory, "plan.db"));
        await new SqlOperationsStore(database, TestClock.Create(), TimeSpan.FromHours(24)).InitializeAsync();
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + SqlOperationsStore.ReservedSql;
        foreach (var name in new[] { "organization", "accepted", "running", "readAt", "completed", "failed", "claim", "submitted" })
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = name == "readAt" ? 0L : name;
            command.Parameters.Add(parameter);
        }
        List<string> plan = [];
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) plan.Add(reader.GetString(3));
        }

        Assert.Contains("SEARCH operations USING INDEX ix_operations_open (organization_id=? AND status=?)", plan);
        Assert.Contains("SEARCH operations USING INDEX ix_operations_changed (organization_id=? AND updated_at>?)", plan);
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN operations", StringComparison.Ordinal)
            || step.EndsWith("(organization_id=?)", StringComparison.Ordinal));
    }

    protected override Task DropAsync()
    {
        // Pooled connections keep the file open; clear them so the directory can go.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
        return Task.CompletedTask;
    }
}
