using Ett.Gateway.Upstream;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.ClientSecrets;

/// <summary>
/// Readiness: <c>Degraded</c> while a configured client's secret expires within <c>Ett:SecretExpiryWarning</c> (or
/// has expired, or its secrets could not be read). Reads only what <see cref="ClientSecretMonitor"/> holds: a probe never calls ETT.
/// </summary>
internal sealed class ClientSecretExpiryHealthCheck(ClientSecretMonitor monitor, IOptionsMonitor<EttOptions> options, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var warning = options.CurrentValue.SecretExpiryWarning;
        var data = new Dictionary<string, object>();
        var problems = new List<string>();
        foreach (var state in monitor.States)
        {
            if (state.InUseExpires is { } expires)
            {
                data[state.ClientName] = expires.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
                if (expires <= now) problems.Add($"the secret of ETT client {state.ClientName} expired at {expires:O}");
                else if (expires - now <= warning) problems.Add($"the secret of ETT client {state.ClientName} expires at {expires:O}, in {(expires - now).TotalDays:0.#} days");
            }
            if (state.Failure is not null) problems.Add($"the secrets of ETT client {state.ClientName} could not be read: {state.Failure}");
        }

        return Task.FromResult(problems.Count > 0
            ? HealthCheckResult.Degraded(string.Join("; ", problems) + ". Create a new secret (POST /admin/ett-clients/{name}/secrets) and configure it.", data: data)
            : HealthCheckResult.Healthy(data.Count > 0 ? "Every ETT client secret is valid beyond the warning period." : "No ETT client secret read yet.", data));
    }
}
