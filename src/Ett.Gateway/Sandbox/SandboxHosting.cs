using Ett.Sandbox;

namespace Ett.Gateway.Sandbox;

/// <summary>
/// The embedded default: with <c>Sandbox:Enabled=true</c> (Development) the gateway hosts the ETT sandbox and the
/// development identity provider in-process and points every ETT and caller setting that is not set explicitly at them,
/// so a newcomer runs the whole thing with no credentials. Refused in Production.
/// </summary>
public static class SandboxHosting
{
    private const string EnabledKey = "Sandbox:Enabled";
    private const string SandboxDataDirectory = "data/sandbox";

    public static WebApplicationBuilder AddSandbox(this WebApplicationBuilder builder)
    {
        if (!builder.Configuration.GetValue<bool>(EnabledKey)) return builder;
        if (builder.Environment.IsProduction())
            throw new InvalidOperationException($"{EnabledKey}=true is refused in the Production environment: the sandbox's development credentials are public. Configure Ett:* and Callers:* (or AzureAd:*) instead.");

        var self = SelfAddress(builder.Configuration);
        var options = new SandboxOptions();
        var issuer = self + options.IdpPrefix;
        var defaults = new Dictionary<string, string?>
        {
            ["Ett:BaseUrl"] = self + options.EttPrefix,
            ["Ett:TokenUrl"] = self + options.EttTokenPath,
            ["Callers:Authority"] = issuer,
            ["Callers:Audience"] = options.IdpAudience,
            ["Callers:RequireHttpsMetadata"] = "false",
            // Relative, so Swagger UI asks the origin it was loaded from (localhost or 127.0.0.1 alike).
            ["OpenApi:TokenUrl"] = options.IdpPrefix + "/connect/token",
            ["OpenApi:Scopes:0"] = "ett.read",
            ["OpenApi:Scopes:1"] = "ett.write",
        };
        if (!builder.Configuration.GetSection("Ett:Clients").GetChildren().Any())
        {
            defaults["Ett:ClientId"] = SandboxSeed.EttClientId;
            defaults["Ett:ClientSecret"] = SandboxSeed.EttClientSecret;
        }

        if (string.IsNullOrEmpty(builder.Configuration["Operations:DataDirectory"]))
        {
            // The sandbox starts anew on every run, so the journal does too: partners and operations of an earlier run
            // would name receivers and certificates the new sandbox never had.
            defaults["Operations:DataDirectory"] = SandboxDataDirectory;
            var previous = Path.Combine(builder.Environment.ContentRootPath, SandboxDataDirectory);
            if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
        }

        // Only what is not set explicitly: an Ett__BaseUrl from the environment still wins.
        builder.Configuration.AddInMemoryCollection(defaults.Where(d => string.IsNullOrEmpty(builder.Configuration[d.Key])));
        builder.Services.AddEttSandbox(sandbox => sandbox.IdpIssuer = issuer);
        return builder;
    }

    public static WebApplication MapSandbox(this WebApplication app)
    {
        if (app.Configuration.GetValue<bool>(EnabledKey)) app.MapEttSandbox();
        return app;
    }

    /// <summary>Where this process listens (first <c>urls</c> entry, else <c>http_ports</c>, else Kestrel's default), as a loopback URL.</summary>
    internal static string SelfAddress(IConfiguration configuration)
    {
        var url = configuration["urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .OrderBy(u => u.StartsWith("https", StringComparison.OrdinalIgnoreCase))
            .FirstOrDefault();
        if (url is null)
        {
            var port = configuration["http_ports"]?.Split(';', ',')[0].Trim();
            url = $"http://localhost:{(string.IsNullOrEmpty(port) ? "5000" : port)}";
        }

        // Wildcard bindings are reachable on loopback.
        var wildcard = new[] { "://*:", "://+:", "://0.0.0.0:", "://[::]:" }.FirstOrDefault(w => url.Contains(w, StringComparison.Ordinal));
        if (wildcard is not null) url = url.Replace(wildcard, "://localhost:", StringComparison.Ordinal);
        return url.TrimEnd('/');
    }
}
