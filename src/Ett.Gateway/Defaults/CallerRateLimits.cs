using System.Globalization;
using System.Threading.RateLimiting;
using Ett.Gateway.Callers;
using Ett.Gateway.Errors;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Defaults;

/// <summary>Per-caller token buckets (ASP.NET Core rate limiting), partitioned by the authenticated caller id.</summary>
internal static class CallerRateLimits
{
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

    public static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var http = rejected.HttpContext;
        http.RequestServices.GetService<Observability.GatewayMetrics>()?.RateLimitRejected();
        var limits = http.RequestServices.GetRequiredService<IOptions<LimitsOptions>>().Value;
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : limits.CallerReplenishmentPeriod;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new()
        {
            HttpContext = http,
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
