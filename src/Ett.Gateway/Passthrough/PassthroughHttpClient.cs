using Ett.Gateway.Observability;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Ett.Gateway.Passthrough;

/// <summary>
/// The passthrough's connection to ETT as YARP builds it, without trace context when no traces are exported: the
/// runtime's DiagnosticsHandler would otherwise start an activity, redact the URI and write <c>traceparent</c> on every
/// proxied request for a trace nobody receives (a quarter of the passthrough's allocations under <c>bench/</c>). With
/// <c>Observability:Otlp:Endpoint</c> set, YARP's propagation stays as it is.
/// </summary>
internal sealed class PassthroughHttpClient(IOptions<ObservabilityOptions> observability, ILogger<ForwarderHttpClientFactory> logger)
    : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        if (observability.Value.Otlp.Endpoint is null) handler.ActivityHeadersPropagator = null;
    }
}
