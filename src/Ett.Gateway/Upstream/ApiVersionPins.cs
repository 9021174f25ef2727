using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Upstream;

/// <summary>
/// The one source of truth for the <c>X-API-Version</c> each ETT call carries, and for what ETT said about
/// those versions' deprecation. Serves both the typed client's handler and the passthrough's transform.
/// </summary>
public sealed class ApiVersionPins(IOptionsMonitor<EttOptions> options, TimeProvider time, ILogger<ApiVersionPins> logger)
{
    public const string HeaderName = "X-API-Version";
    public const string DefaultVersion = "1";

    private readonly ConcurrentDictionary<(string Group, string Version), VersionDeprecation> _deprecations = new();

    /// <summary>The group and pinned version for an absolute ETT request URI.</summary>
    public (ApiGroup Group, string Version) For(Uri requestUri)
    {
        var basePath = options.CurrentValue.BaseUrl?.AbsolutePath.TrimEnd('/') ?? "";
        var path = requestUri.AbsolutePath;
        var relative = path.StartsWith(basePath, StringComparison.OrdinalIgnoreCase) ? path[basePath.Length..] : path;
        var group = ApiGroup.ForPath(relative);
        return (group, VersionOf(group));
    }

    public string VersionOf(ApiGroup group) =>
        options.CurrentValue.ApiVersions.TryGetValue(group.Name, out var version) && !string.IsNullOrWhiteSpace(version)
            ? version
            : DefaultVersion;

    /// <summary>Deprecations ETT announced for pinned versions, for health checks and metrics.</summary>
    public IReadOnlyCollection<VersionDeprecation> Deprecations => _deprecations.Values.ToArray();

    /// <summary>
    /// Reads ETT's <c>api-deprecated-versions</c> and <c>Sunset</c> response headers; warns once per group and version.
    /// </summary>
    public void Observe(ApiGroup group, string version, Func<string, IEnumerable<string>> header)
    {
        var deprecated = header("api-deprecated-versions")
            .SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Contains(version, StringComparer.OrdinalIgnoreCase);
        var sunset = header("Sunset").FirstOrDefault();
        if (!deprecated && sunset is null) return;

        var deprecation = new VersionDeprecation(group.Name, version, deprecated, sunset, time.GetUtcNow());
        if (_deprecations.TryAdd((group.Name, version), deprecation))
        {
            logger.LogWarning(
                "ETT announced the end of pinned API version {Version} for {ApiGroup} (deprecated: {Deprecated}, sunset: {Sunset}); set Ett:ApiVersions:{ApiGroup} to a supported version",
                version, group.Name, deprecated, sunset ?? "none", group.Name);
        }
    }
}

public sealed record VersionDeprecation(string Group, string Version, bool Deprecated, string? Sunset, DateTimeOffset ObservedAt);
