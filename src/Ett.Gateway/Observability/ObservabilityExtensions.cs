namespace Ett.Gateway.Observability;

/// <summary>Correlation ids, audit, traces and metrics, registered once for the whole gateway.</summary>
public static class ObservabilityExtensions
{
    public static IServiceCollection AddGatewayObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddTransient<CorrelationHandler>();
        return services;
    }

    /// <summary>First in the pipeline: everything after it, the exception handler included, runs with the correlation id.</summary>
    public static IApplicationBuilder UseGatewayObservability(this IApplicationBuilder app)
    {
        app.UseMiddleware<CorrelationMiddleware>();
        return app;
    }
}
