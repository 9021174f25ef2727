using System.Diagnostics.Metrics;

namespace Ett.Gateway.Observability;

/// <summary>
/// Meters of a name no meter provider listens to, so that a <see cref="SocketsHttpHandler"/> given these keeps its
/// <c>http.client.*</c> instruments disabled: the gateway's ETT calls are measured once, by <see cref="EttCallMetrics"/>
/// in <c>ett_gateway.ett.request.duration</c> (by ETT API group and client, typed or passthrough).
/// </summary>
internal sealed class UnrecordedMeters : IMeterFactory
{
    public const string MeterName = "Ett.Gateway.Unrecorded";
    public static readonly UnrecordedMeters Instance = new();

    public Meter Create(MeterOptions options) => new(MeterName, options.Version);

    public void Dispose() { }
}
