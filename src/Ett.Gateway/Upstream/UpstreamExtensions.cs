using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Upstream;

public static class UpstreamExtensions
{
    /// <summary>ETT options, token management, version pins and the <c>ett</c> HttpClient the features use.</summary>
    public static IServiceCollection AddUpstream(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EttOptions>().Bind(configuration.GetSection(EttOptions.Section)).ValidateOnStart();
        services.AddEttResilienceOptions(configuration);
        services.AddSingleton<IValidateOptions<EttOptions>, EttOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton<IEttClientSecrets, ConfiguredEttClientSecrets>();
        services.AddSingleton<EttTokenProvider>();
        services.AddSingleton<EttConsents>();
        services.AddSingleton<EttCredentials>();
        services.AddSingleton<ApiVersionPins>();
        services.AddSingleton<EttClient>();
        services.AddSingleton<EttCircuits>();
        services.AddTransient<Observability.EttCallMetrics>();
        services.AddTransient<EttAuthenticationHandler>();
        services.AddTransient<ApiVersionHandler>();

        // The resilience pipelines (EttResilience) time every call on DI's TimeProvider instead of HttpClient's wall clock.
        services.AddHttpClient(EttTokenProvider.HttpClientName, client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.MaxResponseContentBufferSize = EttTokenProvider.MaxAnswerBytes;
            })
            .AddEttTokenBudget();
        services.AddHttpClient(EttRequest.HttpClientName, (sp, client) =>
            {
                // A trailing slash makes relative paths like "wallet-api/wallets" land below a base path (e.g. the sandbox's).
                var baseUrl = sp.GetRequiredService<IOptions<EttOptions>>().Value.BaseUrl!;
                client.BaseAddress = new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/");
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(static (handler, _) =>
            {
                if (handler is not SocketsHttpHandler sockets) return;
                // ETT's API never redirects: a redirect is a misconfigured base URL, answered as ETT's status
                // instead of followed without the token. And one measurement per call (EttCallMetrics).
                sockets.AllowAutoRedirect = false;
                sockets.MeterFactory = Observability.UnrecordedMeters.Instance;
            })
            .AddHttpMessageHandler<Observability.EttCallMetrics>()
            .AddEttCallBudget()
            .AddHttpMessageHandler<EttAuthenticationHandler>()
            .AddHttpMessageHandler<ApiVersionHandler>()
            .AddHttpMessageHandler<Observability.CorrelationHandler>()
            .AddEttAttemptResilience();
        return services;
    }
}
