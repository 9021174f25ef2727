using Ett.Gateway.Operations.Store;

namespace Ett.Gateway.Tests.Operations.Store;

/// <summary>The store suite on a SQLite file of its own per test.</summary>
public sealed class SqliteOperationsStoreTests : OperationsStoreContract
{
    private readonly string directory = Directory.CreateTempSubdirectory("ett-store-").FullName;

    private protected override Task<StoreDatabase> OpenDatabaseAsync() =>
        Task.FromResult<StoreDatabase>(new SqliteStoreDatabase(Path.Combine(directory, "operations.db")));

    protected override Task DropAsync()
    {
        // Pooled connections keep the file open; clear them so the directory can go.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
        return Task.CompletedTask;
    }
}
