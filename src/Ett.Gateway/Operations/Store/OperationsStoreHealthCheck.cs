using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ett.Gateway.Operations.Store;

/// <summary>Ready only while the store answers: transfers and claims cannot be accepted without their journal.</summary>
internal sealed class OperationsStoreHealthCheck(StoreDatabase database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy("The operations store answers.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The exception type only: a connection error's message can name the connection string.
            return HealthCheckResult.Unhealthy($"The operations store does not answer ({e.GetType().Name}).");
        }
    }
}
