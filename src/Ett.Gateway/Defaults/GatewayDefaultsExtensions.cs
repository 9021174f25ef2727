using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Defaults;

/// <summary>Cross-cutting defaults registered once for the whole gateway: limits (more to follow here, not per feature).</summary>
public static class GatewayDefaultsExtensions
{
    public static IServiceCollection AddGatewayDefaults(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGatewayEdge(configuration);
        services.AddOptions<LimitsOptions>().Bind(configuration.GetSection(LimitsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LimitsOptions>, LimitsOptionsValidator>();
        services.AddSingleton(sp =>
        {
            var limits = sp.GetRequiredService<IOptions<LimitsOptions>>().Value;
            return new EttConcurrency(new ConcurrencyLimiter(new ConcurrencyLimiterOptions
            {
                PermitLimit = limits.MaxConcurrentEttRequests,
                QueueLimit = limits.EttQueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }));
        });
        services.AddSingleton(sp => CallerRateLimits.Create(sp.GetRequiredService<IOptions<LimitsOptions>>().Value));
        return services;
    }

    /// <summary>After authentication (the rate limit is per caller), before anything is routed to a handler or ETT.</summary>
    public static IApplicationBuilder UseGatewayDefaults(this IApplicationBuilder app)
    {
        app.UseMiddleware<RequestLimits>();
        app.UseMiddleware<CallerRateLimits>();
        return app;
    }
}

/// <summary>The one cap on ETT requests in flight, shared by every pipeline of the typed client.</summary>
public sealed record EttConcurrency(RateLimiter Limiter);
