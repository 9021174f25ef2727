using Ett.Gateway.Upstream;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ett.Gateway.Health;

/// <summary>Degraded while ETT announces the end of a pinned API version: time to move the pin.</summary>
internal sealed class ApiVersionHealthCheck(ApiVersionPins pins) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var deprecations = pins.Deprecations;
        if (deprecations.Count == 0) return Task.FromResult(HealthCheckResult.Healthy("Every pinned ETT API version is current."));

        var data = deprecations.ToDictionary(d => $"{d.Group}:{d.Version}", d => (object)(d.Sunset ?? "deprecated"));
        return Task.FromResult(HealthCheckResult.Degraded(
            $"ETT deprecated pinned version(s): {string.Join(", ", data.Keys)}. Update Ett:ApiVersions.", data: data));
    }
}
