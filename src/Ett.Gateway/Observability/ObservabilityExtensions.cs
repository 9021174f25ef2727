using Ett.Gateway.Callers;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Ett.Gateway.Observability;

/// <summary>Correlation ids, audit, traces and metrics (OpenTelemetry), registered once for the whole gateway.</summary>
public static class ObservabilityExtensions
{
    public static IServiceCollection AddGatewayObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ObservabilityOptions>().Bind(configuration.GetSection(ObservabilityOptions.Section))
            .ValidateDataAnnotations()
            .Validate(options => !options.Prometheus.Enabled || options.Prometheus.Path.StartsWith('/'), "Observability:Prometheus:Path must start with '/'.")
            .Validate(options => options.Prometheus.Permission is not { Length: > 0 } permission || CallerPolicies.All.Contains(permission),
                $"Observability:Prometheus:Permission must be empty or one of {string.Join(", ", CallerPolicies.All)}.")
            .ValidateOnStart();
        var settings = configuration.GetSection(ObservabilityOptions.Section).Get<ObservabilityOptions>() ?? new();

        services.AddTransient<CorrelationHandler>();
        services.AddSingleton<IAuditStore, Operations.Store.SqlAuditStore>();
        services.AddMetrics();
        services.AddSingleton<GatewayMetrics>();

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(settings.ServiceName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GatewayTelemetry.Name).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (settings.Prometheus.Enabled) metrics.AddPrometheusExporter();
                if (settings.Otlp.Endpoint is { } endpoint) metrics.AddOtlpExporter(otlp => Point(otlp, endpoint, settings.Otlp));
            });
        // Spans are only made when someone receives them; in-process listeners (tests) still see every activity.
        if (settings.Otlp.Endpoint is { } traces)
        {
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(options => options.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddSource(GatewayTelemetry.Name, "Yarp.ReverseProxy")
                .AddOtlpExporter(otlp => Point(otlp, traces, settings.Otlp)));
        }
        return services;
    }

    private static void Point(OpenTelemetry.Exporter.OtlpExporterOptions otlp, Uri endpoint, OtlpOptions settings)
    {
        otlp.Endpoint = endpoint;
        otlp.Protocol = settings.Protocol;
    }

    /// <summary>First in the pipeline: everything after it, the exception handler included, runs with the correlation id.</summary>
    public static IApplicationBuilder UseGatewayObservability(this IApplicationBuilder app)
    {
        // The meter provider first, so that it listens when the gateway's meter starts its series at 0.
        app.ApplicationServices.GetService<MeterProvider>();
        app.ApplicationServices.GetRequiredService<GatewayMetrics>();
        app.UseMiddleware<CorrelationMiddleware>();
        return app;
    }

    /// <summary>After authentication (the record names the caller), before limits, so that refusals are audited too.</summary>
    public static IApplicationBuilder UseGatewayAudit(this IApplicationBuilder app) => app.UseMiddleware<AuditMiddleware>();

    /// <summary><c>GET /admin/audit</c> and, when enabled, the Prometheus scrape endpoint.</summary>
    public static IEndpointRouteBuilder MapGatewayObservability(this IEndpointRouteBuilder app)
    {
        AuditApi.Map(app);
        var prometheus = app.ServiceProvider.GetRequiredService<IOptions<ObservabilityOptions>>().Value.Prometheus;
        if (prometheus.Enabled)
        {
            var scrape = app.MapPrometheusScrapingEndpoint(prometheus.Path);
            if (prometheus.Permission is { Length: > 0 } permission) scrape.RequireAuthorization(permission);
            else scrape.AllowAnonymous();
        }
        return app;
    }
}
