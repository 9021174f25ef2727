using Microsoft.Extensions.Options;
using Npgsql;

namespace Ett.Gateway.Operations.Store;

internal enum OperationsStoreKind { Sqlite, Postgres }

internal sealed record OperationsStoreOptions
{
    public const string Section = "Operations";

    /// <summary>Operations:Store: <c>Sqlite</c> for one instance, <c>Postgres</c> for several sharing one database.</summary>
    public OperationsStoreKind Store { get; set; } = OperationsStoreKind.Sqlite;

    /// <summary>Operations:DataDirectory: where the SQLite file lives, relative to the content root unless absolute.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Operations:IdempotencyRetention: how long a completed key is replayed; at least 24 hours.</summary>
    public TimeSpan IdempotencyRetention { get; set; } = MinimumRetention;

    /// <summary>From ConnectionStrings:Operations (PostgreSQL only).</summary>
    public string? ConnectionString { get; set; }

    public static readonly TimeSpan MinimumRetention = TimeSpan.FromHours(24);
}

internal sealed class OperationsStoreOptionsValidator : IValidateOptions<OperationsStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, OperationsStoreOptions options)
    {
        List<string> failures = [];
        if (options.IdempotencyRetention < OperationsStoreOptions.MinimumRetention)
        {
            failures.Add("Operations:IdempotencyRetention must be at least 24:00:00 (callers may retry a request for a day).");
        }
        if (options.Store == OperationsStoreKind.Sqlite && string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("Operations:DataDirectory must name a directory for the SQLite file.");
        }
        if (options.Store == OperationsStoreKind.Postgres)
        {
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
            {
                failures.Add("ConnectionStrings:Operations is required when Operations:Store is Postgres.");
            }
            else
            {
                try
                {
                    _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
                }
                catch (ArgumentException)
                {
                    // The value itself holds a password, so the message names only the key.
                    failures.Add("ConnectionStrings:Operations is not a valid PostgreSQL connection string.");
                }
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Creates or migrates the schema before the gateway takes requests, so a bad database fails the start.</summary>
internal sealed class OperationsStoreInitializer(SqlOperationsStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync().WaitAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
