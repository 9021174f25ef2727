using System.IO.Compression;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Defaults;

/// <summary>
/// <c>ForwardedHeaders:*</c>: the load balancers whose <c>X-Forwarded-For/Proto/Host</c> the gateway believes. Off
/// unless a proxy or network is listed — never the framework's default trust of loopback.
/// </summary>
public sealed record ForwardedHeadersSettings
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Proxy addresses, e.g. <c>10.0.0.4</c>.</summary>
    public IReadOnlyList<string> KnownProxies { get; init; } = [];

    /// <summary>Proxy networks in CIDR notation, e.g. <c>10.0.0.0/16</c>.</summary>
    public IReadOnlyList<string> KnownNetworks { get; init; } = [];

    /// <summary>Hosts an <c>X-Forwarded-Host</c> may name (e.g. <c>ett-gateway.contoso.com</c>); empty means any.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>How many proxies in a row to believe (default 1).</summary>
    public int ForwardLimit { get; init; } = 1;

    public bool Enabled => KnownProxies.Count > 0 || KnownNetworks.Count > 0;
}

/// <summary>What the network in front of the gateway needs: forwarded headers, and compressed OpenAPI documents.</summary>
public static class GatewayEdge
{
    internal static IServiceCollection AddGatewayEdge(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(ForwardedHeadersSettings.Section).Get<ForwardedHeadersSettings>() ?? new();
        services.AddSingleton(settings);
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            options.ForwardLimit = settings.ForwardLimit;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in settings.KnownProxies)
                options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address) ? address
                    : throw new OptionsValidationException(ForwardedHeadersSettings.Section, typeof(ForwardedHeadersSettings),
                        [$"ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address."]));
            foreach (var network in settings.KnownNetworks)
                options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed) ? parsed
                    : throw new OptionsValidationException(ForwardedHeadersSettings.Section, typeof(ForwardedHeadersSettings),
                        [$"ForwardedHeaders:KnownNetworks: '{network}' is not a CIDR network such as 10.0.0.0/16."]));
            foreach (var host in settings.AllowedHosts) options.AllowedHosts.Add(host);
        });
        services.AddResponseCompression(options =>
        {
            // Only the OpenAPI documents are compressed (see UseGatewayEdge): they hold no secret a compression side channel could reveal.
            options.EnableForHttps = true;
            options.MimeTypes = ["application/json"];
            options.Providers.Add<BrotliCompressionProvider>();
            options.Providers.Add<GzipCompressionProvider>();
        });
        services.Configure<BrotliCompressionProviderOptions>(options => options.Level = CompressionLevel.Fastest);
        services.Configure<GzipCompressionProviderOptions>(options => options.Level = CompressionLevel.Fastest);
        return services;
    }

    /// <summary>First in the pipeline: everything after it sees the caller's scheme, host and address.</summary>
    public static IApplicationBuilder UseGatewayEdge(this IApplicationBuilder app)
    {
        if (app.ApplicationServices.GetRequiredService<ForwardedHeadersSettings>().Enabled) app.UseForwardedHeaders();
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/openapi"), documents => documents.UseResponseCompression());
        return app;
    }
}
