using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace Ett.Gateway.Upstream;

/// <summary>How long and how often the gateway tries ETT: <c>Ett:Resilience:*</c>.</summary>
public sealed record EttResilienceOptions
{
    public const string Section = "Ett:Resilience";

    /// <summary>The whole of one ETT call, retries, their waits and reading the answer included; then 504.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>One attempt of a call; a GET that hangs this long is tried again while the budget lasts.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Retries of a GET or HEAD; never of anything else (ETT has no idempotency keys).</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>The first retry's base delay (exponential, with jitter) where ETT sends no <c>Retry-After</c>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The share of failed attempts in <see cref="BreakerSamplingDuration"/> that opens an API group's circuit.</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts within the sampling window before the ratio counts.</summary>
    public int BreakerMinimumThroughput { get; set; } = 10;

    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit answers 503 without calling ETT before one trial call goes through.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The token endpoint's own budget per token request; then 503 <c>upstream-token-unavailable</c>.</summary>
    public TimeSpan TokenTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The passthrough gives up on ETT after this long without any activity (headers or body bytes); then 504.</summary>
    public TimeSpan PassthroughActivityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest successful ETT answer a composite reads, in bytes; a longer one is 502 <c>upstream-unavailable</c>,
    /// not a memory the gateway gives to whatever ETT (or a proxy before it) sends. The passthrough streams and is not
    /// bounded by it.
    /// </summary>
    public long MaxAnswerBytes { get; set; } = 32 * 1024 * 1024;
}

/// <summary>Fails start-up naming the key; the bounds are Polly's own (checked by it only when a pipeline is first built).</summary>
internal sealed class EttResilienceOptionsValidator : IValidateOptions<EttResilienceOptions>
{
    public ValidateOptionsResult Validate(string? name, EttResilienceOptions o)
    {
        var failures = new List<string>();
        void Between<T>(string key, T value, T min, T max) where T : IComparable<T>
        {
            if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
                failures.Add($"{EttResilienceOptions.Section}:{key} must be between {min} and {max}.");
        }
        var longest = TimeSpan.FromMinutes(10);
        Between(nameof(o.Timeout), o.Timeout, TimeSpan.FromMilliseconds(100), longest);
        Between(nameof(o.AttemptTimeout), o.AttemptTimeout, TimeSpan.FromMilliseconds(100), o.Timeout);
        Between(nameof(o.MaxRetries), o.MaxRetries, 0, 10);
        Between(nameof(o.RetryDelay), o.RetryDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        Between(nameof(o.BreakerFailureRatio), o.BreakerFailureRatio, 0.01, 1.0);
        Between(nameof(o.BreakerMinimumThroughput), o.BreakerMinimumThroughput, 2, 10_000);
        Between(nameof(o.BreakerSamplingDuration), o.BreakerSamplingDuration, TimeSpan.FromMilliseconds(500), TimeSpan.FromHours(1));
        Between(nameof(o.BreakDuration), o.BreakDuration, TimeSpan.FromMilliseconds(500), TimeSpan.FromHours(1));
        Between(nameof(o.TokenTimeout), o.TokenTimeout, TimeSpan.FromMilliseconds(100), longest);
        Between(nameof(o.PassthroughActivityTimeout), o.PassthroughActivityTimeout, TimeSpan.FromMilliseconds(100), longest);
        Between(nameof(o.MaxAnswerBytes), o.MaxAnswerBytes, 64 * 1024, 1024L * 1024 * 1024);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// Microsoft.Extensions.Http.Resilience pipelines for the <c>ett</c> and <c>ett-token</c> HttpClients. They run on
/// DI's <see cref="TimeProvider"/> (Polly.Extensions takes it from the container), so a fake clock drives every
/// budget, retry delay and break; the HttpClients' own (wall-clock) timeouts are switched off.
/// </summary>
internal static class EttResilience
{
    public static IServiceCollection AddEttResilienceOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EttResilienceOptions>().Bind(configuration.GetSection(EttResilienceOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EttResilienceOptions>, EttResilienceOptionsValidator>();
        return services;
    }

    /// <summary>
    /// Outermost: the budget of the whole call, token renewal and ETT's 401 retry included, and inside it the wait for
    /// one of the gateway's ETT slots (<see cref="Defaults.EttConcurrency"/>, where registered).
    /// </summary>
    public static IHttpClientBuilder AddEttCallBudget(this IHttpClientBuilder builder)
    {
        builder.AddResilienceHandler("ett-budget", (pipeline, context) =>
        {
            pipeline.AddTimeout(Options(context).Timeout);
            if (context.ServiceProvider.GetService<Defaults.EttConcurrency>() is { } concurrency) pipeline.AddRateLimiter(concurrency.Limiter);
        });
        return builder;
    }

    /// <summary>
    /// Innermost, one pipeline per ETT API group: retries of GET/HEAD (honouring <c>Retry-After</c> within the budget),
    /// a circuit breaker, and the attempt timeout.
    /// </summary>
    public static IHttpClientBuilder AddEttAttemptResilience(this IHttpClientBuilder builder)
    {
        builder.AddResilienceHandler("ett", (pipeline, context) =>
            {
                var options = Options(context);
                var time = context.ServiceProvider.GetRequiredService<TimeProvider>();
                if (options.MaxRetries > 0)
                {
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = options.MaxRetries,
                        Delay = options.RetryDelay,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        ShouldRetryAfterHeader = true,
                        ShouldHandle = args => ValueTask.FromResult(
                            IsSafe(args.Context.GetRequestMessage()) &&
                            HttpClientResiliencePredicates.IsTransient(args.Outcome) &&
                            !WaitsLongerThan(args.Outcome.Result, options.Timeout, time)),
                    });
                }
                var circuits = context.ServiceProvider.GetService<EttCircuits>();
                var group = context.InstanceName;
                pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                {
                    FailureRatio = options.BreakerFailureRatio,
                    MinimumThroughput = options.BreakerMinimumThroughput,
                    SamplingDuration = options.BreakerSamplingDuration,
                    BreakDuration = options.BreakDuration,
                    // Readiness and the circuit-state metric read these.
                    OnOpened = _ => Report(Polly.CircuitBreaker.CircuitState.Open),
                    OnHalfOpened = _ => Report(Polly.CircuitBreaker.CircuitState.HalfOpen),
                    OnClosed = _ => Report(Polly.CircuitBreaker.CircuitState.Closed),
                });

                ValueTask Report(Polly.CircuitBreaker.CircuitState state)
                {
                    circuits?.Report(group, state);
                    return ValueTask.CompletedTask;
                }
                pipeline.AddTimeout(options.AttemptTimeout);
            })
            .SelectPipelineBy(services =>
            {
                var pins = services.GetRequiredService<ApiVersionPins>();
                return request => pins.For(request.RequestUri!).Group.Name;
            });
        return builder;
    }

    /// <summary>The token endpoint's budget, failing the way HttpClient's own timeout does (which the token provider handles).</summary>
    public static IHttpClientBuilder AddEttTokenBudget(this IHttpClientBuilder builder)
    {
        builder.AddHttpMessageHandler(() => new TimeoutAsHttpClientTimeout());
        builder.AddResilienceHandler("ett-token", (pipeline, context) =>
            pipeline.AddTimeout(Options(context).TokenTimeout));
        return builder;
    }

    private static EttResilienceOptions Options(ResilienceHandlerContext context) =>
        context.ServiceProvider.GetRequiredService<IOptions<EttResilienceOptions>>().Value;

    // Only these are safe to send twice: ETT's POST/PUT/DELETE have no idempotency key and may have taken effect.
    private static bool IsSafe(HttpRequestMessage? request) =>
        request?.Method == HttpMethod.Get || request?.Method == HttpMethod.Head;

    // Waiting out a Retry-After longer than the budget only turns ETT's clear 503 into our 504.
    private static bool WaitsLongerThan(HttpResponseMessage? response, TimeSpan budget, TimeProvider time) =>
        response?.Headers.RetryAfter is { } retryAfter &&
        (retryAfter.Delta ?? (retryAfter.Date - time.GetUtcNow())) > budget;

    /// <summary>Polly's <see cref="TimeoutRejectedException"/> as HttpClient's timeout: a <see cref="TaskCanceledException"/> over a <see cref="TimeoutException"/>.</summary>
    private sealed class TimeoutAsHttpClientTimeout : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            catch (TimeoutRejectedException timeout)
            {
                throw new TaskCanceledException("The ETT token endpoint did not answer within Ett:Resilience:TokenTimeout.", new TimeoutException(timeout.Message, timeout));
            }
        }
    }
}
