using Microsoft.Extensions.Options;

namespace Ett.Gateway.Defaults;

/// <summary>What a caller may ask of the gateway before anything reaches ETT: <c>Limits:*</c>.</summary>
public sealed record LimitsOptions
{
    public const string Section = "Limits";

    /// <summary>Each caller's token bucket: at most this many requests at once (the burst)…</summary>
    public int CallerTokenLimit { get; set; } = 100;

    /// <summary>…refilled by this many…</summary>
    public int CallerTokensPerPeriod { get; set; } = 50;

    /// <summary>…every period.</summary>
    public TimeSpan CallerReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>ETT requests of the typed client in flight at once, across callers; more wait in a queue.</summary>
    public int MaxConcurrentEttRequests { get; set; } = 64;

    /// <summary>ETT requests waiting for a slot; beyond it 503 at once. Waiting counts against the call's budget.</summary>
    public int EttQueueLimit { get; set; } = 256;

    /// <summary>Request bodies of the gateway's own endpoints (composites, operations).</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Request bodies proxied under <c>/ett/</c> (streamed, counted as they pass).</summary>
    public long PassthroughMaxBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>All request headers together (names and values); Kestrel's own, larger limit stays behind it.</summary>
    public int MaxHeaderBytes { get; set; } = 16 * 1024;
}

internal sealed class LimitsOptionsValidator : IValidateOptions<LimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, LimitsOptions o)
    {
        var failures = new List<string>();
        void AtLeast(string key, double value, double min)
        {
            if (value < min) failures.Add($"{LimitsOptions.Section}:{key} must be at least {min}.");
        }
        AtLeast(nameof(o.CallerTokenLimit), o.CallerTokenLimit, 1);
        AtLeast(nameof(o.CallerTokensPerPeriod), o.CallerTokensPerPeriod, 1);
        AtLeast(nameof(o.CallerReplenishmentPeriod), o.CallerReplenishmentPeriod.TotalMilliseconds, 1);
        AtLeast(nameof(o.MaxConcurrentEttRequests), o.MaxConcurrentEttRequests, 1);
        AtLeast(nameof(o.EttQueueLimit), o.EttQueueLimit, 0);
        AtLeast(nameof(o.MaxBodyBytes), o.MaxBodyBytes, 1);
        AtLeast(nameof(o.PassthroughMaxBodyBytes), o.PassthroughMaxBodyBytes, 1);
        AtLeast(nameof(o.MaxHeaderBytes), o.MaxHeaderBytes, 1024);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
