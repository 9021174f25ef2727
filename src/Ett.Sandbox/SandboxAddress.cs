using Microsoft.Extensions.Configuration;

namespace Ett.Sandbox;

/// <summary>Where a host of the sandbox listens, so the identity provider's issuer names that address whatever a caller typed.</summary>
public static class SandboxAddress
{
    /// <summary>
    /// The first <c>urls</c> entry (http before https), else the first <c>http_ports</c> port, else
    /// <paramref name="defaultUrl"/>, as a loopback URL without a trailing slash.
    /// </summary>
    public static string Self(IConfiguration configuration, string defaultUrl = "http://localhost:5000")
    {
        var url = configuration["urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .OrderBy(u => u.StartsWith("https", StringComparison.OrdinalIgnoreCase))
            .FirstOrDefault();
        if (url is null)
        {
            var port = configuration["http_ports"]?.Split(';', ',')[0].Trim();
            url = string.IsNullOrEmpty(port) ? defaultUrl : $"http://localhost:{port}";
        }

        // Wildcard bindings are reachable on loopback.
        var wildcard = new[] { "://*:", "://+:", "://0.0.0.0:", "://[::]:" }.FirstOrDefault(w => url.Contains(w, StringComparison.Ordinal));
        if (wildcard is not null) url = url.Replace(wildcard, "://localhost:", StringComparison.Ordinal);
        return url.TrimEnd('/');
    }

    /// <summary>Whether anything chose where the host listens (<c>urls</c>, <c>http_ports</c> or <c>https_ports</c>).</summary>
    public static bool IsChosen(IConfiguration configuration) =>
        new[] { "urls", "http_ports", "https_ports" }.Any(key => !string.IsNullOrEmpty(configuration[key]));
}
