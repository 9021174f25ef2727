using System.Diagnostics.Metrics;

namespace Ett.Gateway.ClientSecrets;

/// <summary>
/// <c>ett.client.secret.expiry</c> on the <c>Ett.Gateway</c> meter: seconds until each configured client's secret
/// expires (negative once it has), tag <c>client</c>; from what <see cref="ClientSecretMonitor"/> last read.
/// </summary>
internal sealed class ClientSecretMetrics
{
    public const string MeterName = Observability.GatewayTelemetry.Name;
    public const string ExpiryInstrument = "ett.client.secret.expiry";

    public ClientSecretMetrics(IMeterFactory meters, ClientSecretMonitor monitor, TimeProvider time)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge(ExpiryInstrument, () => Measure(monitor, time), unit: "s",
            description: "Seconds until the configured ETT client secret expires.");
    }

    private static IEnumerable<Measurement<double>> Measure(ClientSecretMonitor monitor, TimeProvider time)
    {
        var now = time.GetUtcNow();
        return monitor.States.Where(s => s.InUseExpires is not null)
            .Select(s => new Measurement<double>((s.InUseExpires!.Value - now).TotalSeconds, new KeyValuePair<string, object?>("client", s.ClientName)));
    }
}
