using Ett.Gateway.Operations;
using Ett.Gateway.Operations.Store;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Tests.Operations.Store;

public sealed class OperationsStoreRegistrationTests : IDisposable
{
    private readonly string contentRoot = Directory.CreateTempSubdirectory("ett-store-host-").FullName;

    private IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = contentRoot });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddOperationsStore(builder.Configuration);
        return builder.Build();
    }

    [Fact]
    public async Task Default_store_is_sqlite_in_the_data_directory_under_the_content_root_with_its_schema_created_at_start()
    {
        using var host = Build([]);

        await host.StartAsync();
        var store = host.Services.GetRequiredService<IIdempotencyStore>();
        var begun = await store.TryBeginAsync("app-a", "key-1", "f", TimeSpan.FromMinutes(1), CancellationToken.None);
        await host.StopAsync();

        Assert.IsType<IdempotencyBegin.Started>(begun);
        Assert.Same(store, host.Services.GetRequiredService<IOperationStore>());
        Assert.True(File.Exists(Path.Combine(contentRoot, "data", "operations.db")));
    }

    [Theory]
    [InlineData("Operations:IdempotencyRetention", "23:59:59", null, "Operations:IdempotencyRetention must be at least 24:00:00")]
    [InlineData("Operations:Store", "Postgres", null, "ConnectionStrings:Operations is required when Operations:Store is Postgres")]
    [InlineData("Operations:Store", "Postgres", "Host=127.0.0.1;Password=hunter2;NoSuchKeyword=1", "ConnectionStrings:Operations is not a valid PostgreSQL connection string")]
    public async Task Bad_configuration_fails_the_start_naming_the_key_and_never_the_secret(string key, string value, string? connectionString, string message)
    {
        using var host = Build(new() { [key] = value, ["ConnectionStrings:Operations"] = connectionString });

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(message, failure.Message);
        Assert.DoesNotContain("hunter2", failure.Message);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(contentRoot, recursive: true);
    }
}
