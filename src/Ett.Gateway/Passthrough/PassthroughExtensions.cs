using Ett.Gateway.Callers;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Transforms;

namespace Ett.Gateway.Passthrough;

public static class PassthroughExtensions
{
    public const string Prefix = "/ett";

    public static IServiceCollection AddPassthrough(this IServiceCollection services)
    {
        services.AddHttpForwarder();
        services.AddSingleton<EttCredentialsTransform>();
        services.AddSingleton<PassthroughErrors>();
        return services;
    }

    /// <summary>
    /// <c>/ett/{**path}</c> → <c>{Ett:BaseUrl}/{path}</c>, streamed both ways by YARP. The caller's credentials, cookies,
    /// version header and forwarding headers stay behind; the gateway's ETT token and pinned version go instead.
    /// </summary>
    public static IEndpointRouteBuilder MapPassthrough(this IEndpointRouteBuilder app)
    {
        var baseUrl = app.ServiceProvider.GetRequiredService<IOptions<EttOptions>>().Value.BaseUrl!;
        var credentials = app.ServiceProvider.GetRequiredService<EttCredentialsTransform>();
        var errors = app.ServiceProvider.GetRequiredService<PassthroughErrors>();

        app.MapForwarder($"{Prefix}/{{**path}}", baseUrl.AbsoluteUri.TrimEnd('/'), errors.RequestConfig, transforms =>
            {
                transforms.UseDefaultForwarders = false;
                transforms.AddPathRemovePrefix(Prefix);
                foreach (var header in StrippedRequestHeaders) transforms.AddRequestHeaderRemove(header);
                transforms.AddRequestTransform(credentials.ApplyAsync);
                transforms.AddResponseTransform(credentials.ObserveAsync);
                transforms.AddResponseTransform(errors.MapAsync);
            })
            .RequireAuthorization(CallerPolicies.ByMethod)
            .WithDisplayName("ETT passthrough");
        return app;
    }

    /// <summary>What belongs to the caller's hop, not to ETT. YARP drops hop-by-hop headers itself.</summary>
    private static readonly string[] StrippedRequestHeaders =
    [
        "Authorization", "Cookie", ApiVersionPins.HeaderName, "Forwarded",
        "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Real-IP",
    ];
}
