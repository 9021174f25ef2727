using System.Collections.Concurrent;
using Ett.Gateway.Errors;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Health;

/// <summary>
/// Ready while every configured ETT client holds a token or can obtain one. A held token costs nothing; otherwise one
/// attempt's outcome answers every probe for <see cref="ProbeInterval"/>, so probes never cause a token request each.
/// </summary>
internal sealed class EttTokenHealthCheck(EttTokenProvider tokens, IOptionsMonitor<EttOptions> options, TimeProvider time) : IHealthCheck
{
    internal static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (DateTimeOffset At, string? Failure)> attempts = new(StringComparer.OrdinalIgnoreCase);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failures = new Dictionary<string, object>();
        foreach (var client in options.CurrentValue.EffectiveClients)
        {
            if (tokens.Holds(client.Name)) continue;
            var now = time.GetUtcNow();
            if (!attempts.TryGetValue(client.Name, out var attempt) || now - attempt.At >= ProbeInterval)
            {
                attempt = (now, await TryObtainAsync(client.Name, cancellationToken));
                attempts[client.Name] = attempt;
            }
            if (attempt.Failure is { } failure) failures[client.Name] = failure;
        }
        return failures.Count == 0
            ? HealthCheckResult.Healthy("Every ETT client holds a token or obtained one.")
            : HealthCheckResult.Unhealthy($"No ETT token for {string.Join(", ", failures.Keys)}.", data: failures);
    }

    private async Task<string?> TryObtainAsync(string clientName, CancellationToken cancellationToken)
    {
        try
        {
            await tokens.GetAsync(clientName, cancellationToken);
            return null;
        }
        catch (GatewayProblemException problem)
        {
            // The problem's detail names the token endpoint's answer, never the secret.
            return problem.Detail ?? problem.Title;
        }
    }
}

/// <summary>Degraded while a circuit to ETT is open or half-open: calls of that API group fail fast until ETT recovers.</summary>
internal sealed class EttCircuitHealthCheck(EttCircuits circuits) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var broken = circuits.States.Where(state => state.Value != Polly.CircuitBreaker.CircuitState.Closed)
            .ToDictionary(state => state.Key, state => (object)state.Value.ToString());
        return Task.FromResult(broken.Count == 0
            ? HealthCheckResult.Healthy("Every ETT circuit is closed.")
            : HealthCheckResult.Degraded($"ETT circuit not closed for {string.Join(", ", broken.Keys)}: those calls fail fast.", data: broken));
    }
}
