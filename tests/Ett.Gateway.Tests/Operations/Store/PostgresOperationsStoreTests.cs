using Ett.Gateway.Operations.Store;
using Npgsql;

namespace Ett.Gateway.Tests.Operations.Store;

/// <summary>The store suite on PostgreSQL from ETT_TEST_POSTGRES, each test in a fresh schema.</summary>
[RequiresPostgres]
public sealed class PostgresOperationsStoreTests : OperationsStoreContract
{
    private readonly string schema = $"store_test_{Guid.NewGuid():N}";
    private string? adminConnectionString;

    protected override async Task CreateAsync()
    {
        adminConnectionString = RequiresPostgresAttribute.ConnectionString
            ?? throw new InvalidOperationException(
                $"{RequiresPostgresAttribute.Variable} is not set, and under CI=true the PostgreSQL store tests must run (.ci/services/postgres.sh exports it).");
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
        await command.ExecuteNonQueryAsync();
    }

    // Small pools: a test opens up to four "instances" and the server's default max_connections is 100.
    private protected override Task<StoreDatabase> OpenDatabaseAsync() =>
        Task.FromResult<StoreDatabase>(new PostgresStoreDatabase(
            new NpgsqlConnectionStringBuilder(adminConnectionString) { SearchPath = schema, MaxPoolSize = 20 }.ConnectionString));

    protected override async Task DropAsync()
    {
        if (adminConnectionString is null) return;
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA {schema} CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }
}
