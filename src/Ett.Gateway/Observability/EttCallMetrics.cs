using Ett.Gateway.Upstream;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ett.Gateway.Observability;

/// <summary>
/// Times every call of the typed ETT client as its caller waits for it (outermost: budget, token and retries included)
/// and records it by API group, method and status.
/// </summary>
internal sealed class EttCallMetrics(GatewayMetrics metrics, ApiVersionPins pins, TimeProvider time) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var group = pins.For(request.RequestUri!).Group.Name;
        string status = "error";
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return response;
        }
        catch (Exception exception) when (exception is TimeoutException or Polly.Timeout.TimeoutRejectedException or OperationCanceledException)
        {
            status = "timeout";
            throw;
        }
        finally
        {
            metrics.EttRequest(group, request.Method.Method, status, "typed", time.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// The passthrough's twin: a request transform notes the start, a response transform records the call. The
    /// services are the application's, found once: a request's own services would be a DI scope per request.
    /// </summary>
    public static void AddTo(TransformBuilderContext transforms)
    {
        var time = transforms.Services.GetRequiredService<TimeProvider>();
        var metrics = transforms.Services.GetRequiredService<GatewayMetrics>();
        transforms.AddRequestTransform(context =>
        {
            Passthrough.PassthroughCall.Of(context.HttpContext).StartedTimestamp = time.GetTimestamp();
            return ValueTask.CompletedTask;
        });
        transforms.AddResponseTransform(context =>
        {
            if (Passthrough.PassthroughCall.Find(context.HttpContext) is not { StartedTimestamp: { } started } call) return ValueTask.CompletedTask;
            var status = context.ProxyResponse is { } response
                ? ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : "error";
            var group = call.Group ?? ApiGroup.ForPath((context.HttpContext.Request.Path.Value ?? "").AsSpan(Passthrough.PassthroughExtensions.Prefix.Length).TrimStart('/'));
            metrics.EttRequest(group.Name, context.HttpContext.Request.Method, status, "passthrough", time.GetElapsedTime(started));
            return ValueTask.CompletedTask;
        });
    }
}
