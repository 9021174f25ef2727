using Npgsql;

namespace Ett.Gateway.Tests.Operations.Store;

/// <summary>A schema of its own in the test database (<c>ETT_TEST_POSTGRES</c>), so parallel test runs never meet; dropped on dispose.</summary>
public sealed class PostgresTestSchema : IAsyncDisposable
{
    private readonly string admin;
    private readonly string name = $"gateway_test_{Guid.NewGuid():N}";

    private PostgresTestSchema(string admin) => this.admin = admin;

    /// <summary>The gateway's <c>ConnectionStrings:Operations</c> for this schema (small pools: tests run several instances).</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder(admin) { SearchPath = name, MaxPoolSize = 20 }.ConnectionString;

    /// <summary>Null when no PostgreSQL is configured (the test is then skipped).</summary>
    public static async Task<PostgresTestSchema?> CreateAsync()
    {
        if (RequiresPostgresAttribute.ConnectionString is not { } admin) return null;
        var schema = new PostgresTestSchema(admin);
        await schema.ExecuteAsync($"CREATE SCHEMA {schema.name}");
        return schema;
    }

    public async ValueTask DisposeAsync() => await ExecuteAsync($"DROP SCHEMA IF EXISTS {name} CASCADE");

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
