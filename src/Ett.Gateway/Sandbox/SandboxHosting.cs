using Ett.Sandbox;

namespace Ett.Gateway.Sandbox;

/// <summary>
/// The sandbox as the gateway's ETT and caller identity provider, in one of two ways: with <c>Sandbox:Enabled=true</c>
/// (Development's default) the gateway hosts it in-process; with <c>Sandbox:Url</c> it uses a standalone sandbox
/// (<c>src/Ett.Sandbox.Host</c>) at that address instead. Either way every ETT and caller setting that is not set
/// explicitly points at the sandbox, so a newcomer runs the whole thing with no credentials. Only in Development, or in
/// another environment (never Production or Staging) with <c>Sandbox:AllowOutsideDevelopment=true</c>, which logs a
/// warning at start-up: the sandbox's credentials are public, wherever it runs.
/// </summary>
public static class SandboxHosting
{
    private const string EnabledKey = "Sandbox:Enabled";
    private const string UrlKey = "Sandbox:Url";
    private const string OptInKey = "Sandbox:AllowOutsideDevelopment";
    private const string SandboxDataDirectory = "data/sandbox";
    private const string StandaloneSandboxDataDirectory = "data/standalone-sandbox";

    /// <summary>Whether the gateway runs against a sandbox, in-process or standalone.</summary>
    public static bool UsesSandbox(IConfiguration configuration) => InProcess(configuration) || StandaloneUrl(configuration) is not null;

    public static WebApplicationBuilder AddSandbox(this WebApplicationBuilder builder)
    {
        var standalone = StandaloneUrl(builder.Configuration);
        if (standalone is null && !InProcess(builder.Configuration)) return builder;
        RefuseOutsideDevelopment(builder, standalone is null ? $"{EnabledKey}=true" : UrlKey);

        var options = new SandboxOptions();
        var sandbox = standalone ?? SandboxAddress.Self(builder.Configuration);
        var issuer = sandbox + options.IdpPrefix;
        var defaults = new Dictionary<string, string?>
        {
            ["Ett:BaseUrl"] = sandbox + options.EttPrefix,
            ["Ett:TokenUrl"] = sandbox + options.EttTokenPath,
            ["Callers:Authority"] = issuer,
            ["Callers:Audience"] = options.IdpAudience,
            ["Callers:RequireHttpsMetadata"] = "false",
            // In-process relative, so Swagger UI asks the origin it was loaded from (localhost or 127.0.0.1 alike);
            // a standalone sandbox answers Swagger UI's cross-origin request (CORS).
            ["OpenApi:TokenUrl"] = (standalone ?? "") + options.IdpPrefix + "/connect/token",
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
            if (standalone is null)
            {
                // The in-process sandbox starts anew on every run, so the journal does too: partners and operations of an
                // earlier run would name receivers and certificates the new sandbox never had.
                defaults["Operations:DataDirectory"] = SandboxDataDirectory;
                var previous = Path.Combine(builder.Environment.ContentRootPath, SandboxDataDirectory);
                if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
            }
            else
            {
                // A standalone sandbox keeps its state across gateway restarts, and so does this journal beside it.
                defaults["Operations:DataDirectory"] = StandaloneSandboxDataDirectory;
            }
        }

        // Only what is not set explicitly: an Ett__BaseUrl from the environment still wins.
        builder.Configuration.AddInMemoryCollection(defaults.Where(d => string.IsNullOrEmpty(builder.Configuration[d.Key])));
        if (standalone is null) builder.Services.AddEttSandbox(s => s.IdpIssuer = issuer);
        return builder;
    }

    public static WebApplication MapSandbox(this WebApplication app)
    {
        if (InProcess(app.Configuration)) app.MapEttSandbox();
        return app;
    }

    // A standalone sandbox's address replaces the in-process one.
    private static bool InProcess(IConfiguration configuration) =>
        configuration.GetValue<bool>(EnabledKey) && string.IsNullOrEmpty(configuration[UrlKey]);

    private static string? StandaloneUrl(IConfiguration configuration)
    {
        if (configuration[UrlKey] is not { Length: > 0 } url) return null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
            throw new InvalidOperationException($"{UrlKey} must be the absolute http(s) URL of a standalone sandbox (dotnet run --project src/Ett.Sandbox.Host), e.g. http://localhost:5090, not '{url}'.");
        return url.TrimEnd('/');
    }

    private static void RefuseOutsideDevelopment(WebApplicationBuilder builder, string setting)
    {
        var environment = builder.Environment;
        if (environment.IsProduction() || environment.IsStaging())
            throw new InvalidOperationException($"{setting} is refused in the {environment.EnvironmentName} environment: the sandbox's development credentials are public. Configure Ett:* and Callers:* (or AzureAd:*) instead.");
        if (environment.IsDevelopment()) return;
        if (!builder.Configuration.GetValue<bool>(OptInKey))
            throw new InvalidOperationException($"{setting} runs only in Development: the sandbox's development credentials are public. Set {OptInKey}=true to run it in the {environment.EnvironmentName} environment anyway.");
        builder.Services.AddHostedService<SandboxOutsideDevelopmentWarning>();
    }
}

/// <summary>Says at every start that the sandbox, with its public credentials, runs outside Development.</summary>
internal sealed partial class SandboxOutsideDevelopmentWarning(IHostEnvironment environment, ILogger<SandboxOutsideDevelopmentWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Warn(logger, environment.EnvironmentName);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "THE ETT SANDBOX RUNS IN THE {Environment} ENVIRONMENT (Sandbox:AllowOutsideDevelopment=true): its ETT and caller credentials are public, so anyone can call this gateway. Never expose it.")]
    private static partial void Warn(ILogger logger, string environment);
}
