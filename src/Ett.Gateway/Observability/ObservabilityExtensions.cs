namespace Ett.Gateway.Observability;

/// <summary>Correlation ids, audit, traces and metrics, registered once for the whole gateway.</summary>
public static class ObservabilityExtensions
{
    public static IServiceCollection AddGatewayObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddTransient<CorrelationHandler>();
        services.AddSingleton<IAuditStore, Operations.Store.SqlAuditStore>();
        return services;
    }

    /// <summary>After authentication (the record names the caller), before limits, so that refusals are audited too.</summary>
    public static IApplicationBuilder UseGatewayAudit(this IApplicationBuilder app) => app.UseMiddleware<AuditMiddleware>();

    /// <summary><c>GET /admin/audit</c>.</summary>
    public static IEndpointRouteBuilder MapGatewayAudit(this IEndpointRouteBuilder app)
    {
        AuditApi.Map(app);
        return app;
    }

    /// <summary>First in the pipeline: everything after it, the exception handler included, runs with the correlation id.</summary>
    public static IApplicationBuilder UseGatewayObservability(this IApplicationBuilder app)
    {
        app.UseMiddleware<CorrelationMiddleware>();
        return app;
    }
}
