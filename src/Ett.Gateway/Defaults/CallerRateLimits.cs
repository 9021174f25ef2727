using System.Globalization;
using System.Threading.RateLimiting;
using Ett.Gateway.Callers;
using Ett.Gateway.Errors;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Defaults;

/// <summary>
/// Per-caller token buckets (System.Threading.RateLimiting), partitioned by the authenticated caller id, as middleware:
/// ASP.NET Core's rate limiting middleware would add an async frame, a chained endpoint limiter and its closure per
/// request for endpoint policies the gateway has none of. A token bucket's lease holds nothing while the request runs,
/// so it is given back at once and a granted request goes on without a frame of its own.
/// </summary>
internal sealed class CallerRateLimits(
    RequestDelegate next, PartitionedRateLimiter<HttpContext> limiter, IOptions<LimitsOptions> options, Observability.GatewayMetrics metrics,
    IProblemDetailsService problems)
{
    public Task InvokeAsync(HttpContext context)
    {
        using var lease = limiter.AttemptAcquire(context);
        if (lease.IsAcquired) return next(context);
        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : options.Value.CallerReplenishmentPeriod;
        return RejectAsync(context, wait);
    }

    public static PartitionedRateLimiter<HttpContext> Create(LimitsOptions limits)
    {
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.CallerTokenLimit,
            TokensPerPeriod = limits.CallerTokensPerPeriod,
            ReplenishmentPeriod = limits.CallerReplenishmentPeriod,
            QueueLimit = 0,
            // The partitioned limiter's one timer replenishes every caller's bucket, as GetTokenBucketLimiter arranges.
            AutoReplenishment = false,
        };
        // Made once: it runs for a caller's first request only, but a lambda made per request would be a delegate and a
        // closure per request (RateLimitPartition.GetTokenBucketLimiter makes both). Each limiter copies the options.
        Func<string, RateLimiter> newBucket = _ => new TokenBucketRateLimiter(bucket);
        return PartitionedRateLimiter.Create<HttpContext, string>(context =>
            context.User.Identity?.IsAuthenticated == true && Caller.IdOf(context.User) is { } caller
                ? new RateLimitPartition<string>(caller, newBucket)
                // Unauthenticated requests get their 401 from authorization; health probes are not throttled.
                : RateLimitPartition.GetNoLimiter(""));
    }

    private async Task RejectAsync(HttpContext context, TimeSpan wait)
    {
        metrics.RateLimitRejected();
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await problems.WriteAsync(new()
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Type = ProblemTypes.RateLimited,
                Title = "Too many requests",
                Detail = "This caller sent more requests than Limits:Caller* allow; retry after Retry-After.",
            },
        });
    }
}
