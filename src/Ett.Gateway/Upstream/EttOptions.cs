using Microsoft.Extensions.Options;

namespace Ett.Gateway.Upstream;

/// <summary>How the gateway reaches ETT: <c>Ett:*</c> in configuration.</summary>
public sealed record EttOptions
{
    public const string Section = "Ett";

    /// <summary>ETT's base address, e.g. https://demo.energytrackandtrace.dk or https://energytrackandtrace.dk.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The OAuth2 token endpoint (ETT's B2C client-credentials policy).</summary>
    public Uri? TokenUrl { get; set; }

    public string Scope { get; set; } = "https://datahubeouenerginet.onmicrosoft.com/energy-origin/.default";

    /// <summary>The single-client shorthand; <see cref="Clients"/> takes over when it is not empty.</summary>
    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>The single-client shorthand's <see cref="EttClientCredentials.AutoRotate"/> (<c>Ett:AutoRotate</c>).</summary>
    public bool AutoRotate { get; set; }

    public List<EttClientCredentials> Clients { get; set; } = [];

    /// <summary>A cached token is renewed this long before it expires.</summary>
    public TimeSpan RefreshMargin { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long ETT's consent list per client is reused.</summary>
    public TimeSpan ConsentsCacheDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// For an organization the cached consent list lacks, the list is read again once it is this old, so a consent
    /// granted a moment ago works without waiting for <see cref="ConsentsCacheDuration"/>.
    /// </summary>
    public TimeSpan ConsentsRecheckAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Readiness is Degraded once a configured client's secret expires within this (<c>Ett:SecretExpiryWarning</c>).</summary>
    public TimeSpan SecretExpiryWarning { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How often each client's secrets are read from ETT's credentials API; zero reads them never.</summary>
    public TimeSpan SecretExpiryRefresh { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A client with <see cref="EttClientCredentials.AutoRotate"/> gets a new secret once its secret expires within this
    /// (<c>Ett:SecretRotateBefore</c>): longer than <see cref="SecretExpiryWarning"/>, so rotation comes before the warning.
    /// </summary>
    public TimeSpan SecretRotateBefore { get; set; } = TimeSpan.FromDays(21);

    /// <summary>Pinned <c>X-API-Version</c> per ETT API group (<see cref="ApiGroup"/> names); <c>1</c> where unset.</summary>
    public Dictionary<string, string> ApiVersions { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The configured clients, with the single-client shorthand turned into a client named <c>default</c>.</summary>
    public IReadOnlyList<EttClientCredentials> EffectiveClients
    {
        get
        {
            if (Clients.Count > 0) return Clients;
            if (ClientId is null) return [];
            // Built once, not on every request that picks a client, and again only if the shorthand changed.
            if (_shorthand is [var client] && client.ClientId == ClientId && client.ClientSecret == (ClientSecret ?? "") && client.AutoRotate == AutoRotate)
                return _shorthand;
            return _shorthand = [new EttClientCredentials { Name = "default", ClientId = ClientId, ClientSecret = ClientSecret ?? "", AutoRotate = AutoRotate }];
        }
    }

    private IReadOnlyList<EttClientCredentials>? _shorthand;
}

public sealed record EttClientCredentials
{
    public string Name { get; set; } = "";
    public string ClientId { get; set; } = "";

    /// <summary>Never logged, never returned: it is the company's ETT identity.</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>
    /// <c>Ett:Clients:N:AutoRotate</c>: the gateway replaces the secret before it expires and keeps the new one encrypted
    /// in the operations store (ClientSecrets/ClientSecretRotation); once there it wins over <see cref="ClientSecret"/>.
    /// </summary>
    public bool AutoRotate { get; set; }

    public override string ToString() => $"{Name} ({ClientId})";
}

/// <summary>Fails start-up with messages that name the configuration key to fix.</summary>
internal sealed class EttOptionsValidator : IValidateOptions<EttOptions>
{
    public ValidateOptionsResult Validate(string? name, EttOptions options)
    {
        var failures = new List<string>();
        if (!IsHttpUrl(options.BaseUrl)) failures.Add("Ett:BaseUrl must be an absolute http(s) URL, e.g. https://demo.energytrackandtrace.dk.");
        if (!IsHttpUrl(options.TokenUrl)) failures.Add("Ett:TokenUrl must be an absolute http(s) URL of the OAuth2 token endpoint.");
        if (string.IsNullOrWhiteSpace(options.Scope)) failures.Add("Ett:Scope must not be empty.");
        if (options.RefreshMargin < TimeSpan.Zero) failures.Add("Ett:RefreshMargin must not be negative.");

        var clients = options.EffectiveClients;
        if (clients.Count == 0) failures.Add("Ett:ClientId and Ett:ClientSecret (or Ett:Clients) must be set: the ETT client credentials.");
        for (var i = 0; i < clients.Count; i++)
        {
            var key = options.Clients.Count > 0 ? $"Ett:Clients:{i}" : "Ett";
            if (string.IsNullOrWhiteSpace(clients[i].Name)) failures.Add($"{key}:Name must not be empty.");
            if (string.IsNullOrWhiteSpace(clients[i].ClientId)) failures.Add($"{key}:ClientId must not be empty.");
            if (string.IsNullOrWhiteSpace(clients[i].ClientSecret)) failures.Add($"{key}:ClientSecret must be set (environment variable or user secrets).");
        }
        if (clients.Any(c => c.AutoRotate) && options.SecretRotateBefore <= options.SecretExpiryWarning)
            failures.Add("Ett:SecretRotateBefore must be longer than Ett:SecretExpiryWarning: automatic rotation comes before the warning.");
        if (clients.Select(c => c.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count() != clients.Count)
            failures.Add("Ett:Clients names must be unique.");

        foreach (var (group, version) in options.ApiVersions)
        {
            if (!ApiGroup.IsKnown(group)) failures.Add($"Ett:ApiVersions:{group} is not an ETT API group ({string.Join(", ", ApiGroup.All.Select(g => g.Name))}).");
            if (string.IsNullOrWhiteSpace(version)) failures.Add($"Ett:ApiVersions:{group} must not be empty.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsHttpUrl(Uri? url) => url is { IsAbsoluteUri: true } && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp);
}
