using Ett.Gateway.Observability;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Ett.Gateway.Passthrough;

/// <summary>
/// The passthrough's connection to ETT as YARP builds it, with two things the runtime would do on every proxied request
/// left out:
/// <list type="bullet">
/// <item>trace context when no traces are exported: the runtime's DiagnosticsHandler would otherwise start an activity,
/// redact the URI and write <c>traceparent</c> for a trace nobody receives (a quarter of the passthrough's allocations
/// under <c>bench/</c>). With <c>Observability:Otlp:Endpoint</c> set, YARP's propagation stays as it is.</item>
/// <item>System.Net.Http's own <c>http.client.*</c> series: <see cref="EttCallMetrics"/> already records each proxied
/// call, by ETT API group, in <c>ett_gateway.ett.request.duration</c>. Measured twice, a proxied request paid for six
/// more measurements and the runtime's metrics handler around each call.</item>
/// </list>
/// </summary>
internal sealed class PassthroughHttpClient(IOptions<ObservabilityOptions> observability, ILogger<ForwarderHttpClientFactory> logger)
    : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        if (observability.Value.Otlp.Endpoint is null) handler.ActivityHeadersPropagator = null;
        handler.MeterFactory = UnrecordedMeters.Instance;
    }
}
