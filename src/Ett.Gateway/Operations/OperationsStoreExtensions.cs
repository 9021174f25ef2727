using Ett.Gateway.Health;
using Ett.Gateway.Operations.Store;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Operations;

public static class OperationsStoreExtensions
{
    /// <summary>
    /// The durable store for idempotency keys and the operations journal: SQLite under <c>Operations:DataDirectory</c>
    /// (default), or PostgreSQL from <c>ConnectionStrings:Operations</c> when <c>Operations:Store</c> is <c>Postgres</c>
    /// (several gateway instances). The schema is created or migrated at start-up.
    /// </summary>
    public static IServiceCollection AddOperationsStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OperationsStoreOptions>()
            .Bind(configuration.GetSection(OperationsStoreOptions.Section))
            .Configure(options => options.ConnectionString = configuration.GetConnectionString("Operations"))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<OperationsStoreOptions>, OperationsStoreOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton<StoreDatabase>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<OperationsStoreOptions>>().Value;
            if (options.Store == OperationsStoreKind.Postgres) return new PostgresStoreDatabase(options.ConnectionString!);
            var directory = Path.Combine(provider.GetRequiredService<IHostEnvironment>().ContentRootPath, options.DataDirectory);
            Directory.CreateDirectory(directory);
            return new SqliteStoreDatabase(Path.Combine(directory, "operations.db"));
        });
        services.AddSingleton(provider => new SqlOperationsStore(
            provider.GetRequiredService<StoreDatabase>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<IOptions<OperationsStoreOptions>>().Value.IdempotencyRetention));
        services.AddSingleton<IIdempotencyStore>(provider => provider.GetRequiredService<SqlOperationsStore>());
        services.AddSingleton<IOperationStore>(provider => provider.GetRequiredService<SqlOperationsStore>());
        services.AddHostedService<OperationsStoreInitializer>();
        services.AddHealthChecks().AddCheck<OperationsStoreHealthCheck>("operations-store", tags: [HealthExtensions.ReadyTag]);
        return services;
    }
}
