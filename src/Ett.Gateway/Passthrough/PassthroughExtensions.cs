using Ett.Gateway.Callers;
using Ett.Gateway.Errors;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Ett.Gateway.Passthrough;

public static class PassthroughExtensions
{
    public const string Prefix = "/ett";

    public static IServiceCollection AddPassthrough(this IServiceCollection services)
    {
        services.AddHttpForwarder();
        services.AddSingleton<IForwarderHttpClientFactory, PassthroughHttpClient>();
        services.AddSingleton<EttCredentialsTransform>();
        services.AddSingleton<PassthroughErrors>();
        return services;
    }

    /// <summary>
    /// <c>/ett/{path}</c> → <c>{Ett:BaseUrl}/{path}</c> for ETT's third-party operations only
    /// (<see cref="EttThirdPartyOperations"/>), each with its own permission and organization check; anything else under
    /// <c>/ett/</c> is 404 without an ETT call. Streamed both ways by YARP. The caller's credentials, cookies, version
    /// header and forwarding headers stay behind; the gateway's ETT token and pinned version go instead.
    /// </summary>
    public static IEndpointRouteBuilder MapPassthrough(this IEndpointRouteBuilder app)
    {
        var baseUrl = app.ServiceProvider.GetRequiredService<IOptions<EttOptions>>().Value.BaseUrl!.AbsoluteUri.TrimEnd('/');
        var credentials = app.ServiceProvider.GetRequiredService<EttCredentialsTransform>();
        var errors = app.ServiceProvider.GetRequiredService<PassthroughErrors>();

        foreach (var operation in EttThirdPartyOperations.All)
        {
            app.MapForwarder(Prefix + operation.Path, baseUrl, errors.RequestConfig, transforms =>
                {
                    transforms.UseDefaultForwarders = false;
                    transforms.AddPathRemovePrefix(Prefix);
                    foreach (var header in StrippedRequestHeaders) transforms.AddRequestHeaderRemove(header);
                    if (operation.Owned is { } owned) transforms.AddRequestTransform(owned.CheckAsync);
                    transforms.AddRequestTransform(credentials.ApplyAsync);
                    transforms.AddRequestTransform(SendCorrelationAsync);
                    Observability.EttCallMetrics.AddTo(transforms);
                    transforms.AddResponseTransform(credentials.ObserveAsync);
                    transforms.AddResponseTransform(errors.MapAsync);
                })
                .WithMetadata(new HttpMethodMetadata([operation.Method]), new OrganizationSourceMetadata(operation.Organization), operation)
                .RequireAuthorization(operation.Permission)
                .WithDisplayName($"ETT passthrough {operation.Method} {operation.Path}");
        }

        // Matches what no operation above does (other paths, other methods), so ETT never sees it.
        app.Map(Prefix + "/{**path}", () => TypedResults.Problem("ETT's third-party API has no such operation; the passthrough forwards only those.",
                statusCode: StatusCodes.Status404NotFound, title: "Not found", type: ProblemTypes.NotFound))
            .RequireAuthorization(CallerPolicies.Read)
            .WithDisplayName("ETT passthrough: not an operation")
            .ExcludeFromDescription();
        return app;
    }

    /// <summary>The gateway's correlation id, never the raw caller header (the middleware refused an invalid one).</summary>
    private static ValueTask SendCorrelationAsync(RequestTransformContext context)
    {
        Observability.CorrelationHandler.Apply(context.ProxyRequest.Headers);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// What belongs to the caller's hop, not to ETT. YARP drops hop-by-hop headers itself; the caller's trace context
    /// is replaced by the gateway's when traces are exported (<see cref="PassthroughHttpClient"/>), else it stays here.
    /// </summary>
    private static readonly string[] StrippedRequestHeaders =
    [
        "Authorization", "Cookie", ApiVersionPins.HeaderName, "Forwarded",
        "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Real-IP",
        "traceparent", "tracestate", "baggage", "Request-Id", "Correlation-Context",
    ];
}
