using Microsoft.Extensions.Options;

namespace Ett.Gateway.Callers;

/// <summary>
/// Who may call the gateway: <c>Callers:*</c> for any OIDC issuer (ignored when <c>AzureAd:ClientId</c> is set, which
/// selects Microsoft.Identity.Web for Entra ID) and, for both, which ETT organizations each caller may act for.
/// </summary>
public sealed record CallerOptions
{
    public const string Section = "Callers";

    /// <summary>The issuer's base URL; its <c>.well-known/openid-configuration</c> supplies the signing keys.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience the gateway's caller tokens must carry.</summary>
    public string? Audience { get; set; }

    /// <summary>Further accepted audiences (<c>Callers:Audiences:N</c>), for issuers that write another or several.</summary>
    public List<string> Audiences { get; set; } = [];

    /// <summary>
    /// Further claims holding the caller's roles besides top-level <c>roles</c>/<c>role</c>, as dotted paths into the
    /// token (<c>Callers:RoleClaims:N</c>), e.g. Keycloak's <c>realm_access.roles</c> or <c>resource_access.ett-gateway.roles</c>.
    /// </summary>
    public List<string> RoleClaims { get; set; } = [];

    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Tolerated clock difference when checking a caller token's lifetime.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How soon a token signed with a key the gateway does not hold makes it re-read the issuer's keys: at most once per
    /// interval, whoever sends such tokens. A rotated key works at most this long after the issuer publishes it.
    /// </summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the issuer's keys are re-read anyway: a key the issuer removed stops working at most this long after.</summary>
    public TimeSpan KeyAutomaticRefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Per caller id (azp, appid, client_id or sub, compared case-insensitively: Entra writes app ids in lower case,
    /// the portal shows them either way): the ETT organization ids it may use, or <c>*</c> for all.
    /// </summary>
    public Dictionary<string, List<string>> Organizations { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Organizations of callers not listed in <see cref="Organizations"/>; <c>*</c> (the default) means all.</summary>
    public List<string> DefaultOrganizations { get; set; } = ["*"];
}

internal sealed class CallerOptionsValidator(IConfiguration configuration) : IValidateOptions<CallerOptions>
{
    public ValidateOptionsResult Validate(string? name, CallerOptions options)
    {
        var failures = new List<string>();
        if (!EntraIdOptions.IsConfigured(configuration))
        {
            if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out _))
                failures.Add("Callers:Authority must be the absolute URL of the callers' OIDC issuer (or configure AzureAd:* for Entra ID).");
            if (string.IsNullOrWhiteSpace(options.Audience))
                failures.Add("Callers:Audience must name the audience of the gateway's caller tokens.");
        }
        for (var i = 0; i < options.Audiences.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.Audiences[i])) failures.Add($"Callers:Audiences:{i} must not be empty.");
        }
        for (var i = 0; i < options.RoleClaims.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.RoleClaims[i]) || options.RoleClaims[i].Split('.').Any(string.IsNullOrWhiteSpace))
                failures.Add($"Callers:RoleClaims:{i} '{options.RoleClaims[i]}' must be a claim name or a dotted path such as realm_access.roles.");
        }
        if (options.KeyRefreshInterval <= TimeSpan.Zero)
            failures.Add("Callers:KeyRefreshInterval must be positive, e.g. 00:00:30.");
        if (options.KeyAutomaticRefreshInterval < options.KeyRefreshInterval)
            failures.Add("Callers:KeyAutomaticRefreshInterval must not be shorter than Callers:KeyRefreshInterval.");
        foreach (var (caller, organizations) in options.Organizations)
        {
            foreach (var organization in organizations.Where(o => o != "*" && !Guid.TryParse(o, out _)))
                failures.Add($"Callers:Organizations:{caller} holds '{organization}', which is neither a GUID nor '*'.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
