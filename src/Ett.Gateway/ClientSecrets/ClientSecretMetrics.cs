using System.Diagnostics.Metrics;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.ClientSecrets;

/// <summary>
/// <c>ett.client.secret.expiry</c> on the <c>Ett.Gateway</c> meter: seconds until each configured client's secret
/// expires (negative once it has), tag <c>client</c>; from what <see cref="ClientSecretMonitor"/> last read. And
/// <c>ett.client.secret.rotations</c>: automatic rotation's steps by <c>client</c> and <c>outcome</c> (<see cref="ClientSecretRotation"/>).
/// </summary>
internal sealed class ClientSecretMetrics
{
    public const string MeterName = Observability.GatewayTelemetry.Name;
    public const string ExpiryInstrument = "ett.client.secret.expiry";
    public const string RotationsInstrument = "ett.client.secret.rotations";

    private readonly Counter<long> _rotations;

    public ClientSecretMetrics(IMeterFactory meters, ClientSecretMonitor monitor, TimeProvider time, IOptions<EttOptions> options)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge(ExpiryInstrument, () => Measure(monitor, time), unit: "s",
            description: "Seconds until the configured ETT client secret expires.");
        _rotations = meter.CreateCounter<long>(RotationsInstrument, "{rotation}",
            "Automatic ETT client secret rotation by client and outcome: rotated, old_deleted, orphan_deleted, blocked or failed.");
        foreach (var client in options.Value.EffectiveClients.Where(c => c.AutoRotate))
            foreach (var outcome in ClientSecretRotation.Outcomes) Rotation(client.Name, outcome, 0);
    }

    public void Rotation(string client, string outcome, long count = 1) =>
        _rotations.Add(count, new("client", client), new("outcome", outcome));

    private static IEnumerable<Measurement<double>> Measure(ClientSecretMonitor monitor, TimeProvider time)
    {
        var now = time.GetUtcNow();
        return monitor.States.Where(s => s.InUseExpires is not null)
            .Select(s => new Measurement<double>((s.InUseExpires!.Value - now).TotalSeconds, new KeyValuePair<string, object?>("client", s.ClientName)));
    }
}
