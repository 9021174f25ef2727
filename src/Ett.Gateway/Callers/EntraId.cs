using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Gateway.Callers;

/// <summary>
/// <c>AzureAd:*</c>: callers from Entra ID, validated by Microsoft.Identity.Web plus the gateway's own rules — the tenants
/// allowed, both audiences Entra issues for the app, and a start-up check of every setting.
/// </summary>
public sealed record EntraIdOptions
{
    public const string Section = "AzureAd";

    /// <summary>The cloud's login host, e.g. https://login.microsoftonline.com/.</summary>
    public string? Instance { get; set; }

    /// <summary>The gateway's tenant (Directory (tenant) ID); <c>organizations</c>/<c>common</c> only with <see cref="AllowedTenants"/>.</summary>
    public string? TenantId { get; set; }

    /// <summary>The gateway's app registration (Application (client) ID).</summary>
    public string? ClientId { get; set; }

    /// <summary>The App ID URI when it is not <c>api://{ClientId}</c>; accepted besides the client id and <c>api://{ClientId}</c>.</summary>
    public string? Audience { get; set; }

    /// <summary>Tenant ids whose apps may call; defaults to <see cref="TenantId"/>.</summary>
    public List<string> AllowedTenants { get; set; } = [];

    public string? Authority { get; set; }
    public string? SignUpSignInPolicyId { get; set; }

    public const string PublicCloudInstance = "https://login.microsoftonline.com/";

    /// <summary>Whether any <c>AzureAd:*</c> key is set: then Entra ID is the callers' issuer, and must be set up completely.</summary>
    public static bool IsConfigured(IConfiguration configuration) =>
        configuration.GetSection(Section).AsEnumerable().Any(entry => !string.IsNullOrWhiteSpace(entry.Value));

    /// <summary>The tenants whose tokens are accepted.</summary>
    public IReadOnlyList<Guid> Tenants =>
        (AllowedTenants.Count > 0 ? AllowedTenants : [TenantId ?? ""])
            .Select(t => Guid.TryParse(t, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).ToArray();

    /// <summary>Entra issues <c>{ClientId}</c> (v2.0 tokens) or the App ID URI, by default <c>api://{ClientId}</c> (v1.0).</summary>
    public IReadOnlyList<string> Audiences =>
        new[] { ClientId, $"api://{ClientId}", Audience }.OfType<string>().Where(a => a.Length > 0).Distinct().ToArray();

    internal string NormalizedInstance => Instance!.TrimEnd('/') + "/";
}

/// <summary>Every incomplete or contradictory <c>AzureAd:*</c> setting stops start-up, naming the key.</summary>
internal sealed class EntraIdOptionsValidator(IConfiguration configuration) : IValidateOptions<EntraIdOptions>
{
    private static readonly string[] MultiTenant = ["common", "organizations"];

    public ValidateOptionsResult Validate(string? name, EntraIdOptions options)
    {
        if (!EntraIdOptions.IsConfigured(configuration)) return ValidateOptionsResult.Success;
        var failures = new List<string>();

        if (string.IsNullOrWhiteSpace(options.ClientId))
            failures.Add("AzureAd:ClientId must be set: the Application (client) ID of the gateway's app registration.");
        else if (!Guid.TryParse(options.ClientId, out _))
            failures.Add($"AzureAd:ClientId '{options.ClientId}' must be the Application (client) ID, a GUID.");

        if (string.IsNullOrWhiteSpace(options.Instance))
            failures.Add($"AzureAd:Instance must be set, e.g. {EntraIdOptions.PublicCloudInstance}.");
        else if (!Uri.TryCreate(options.Instance, UriKind.Absolute, out var instance) || instance.Scheme != Uri.UriSchemeHttps
                 || instance.AbsolutePath != "/" || !string.IsNullOrEmpty(instance.Query))
            failures.Add($"AzureAd:Instance must be the https address of the cloud's login host, e.g. {EntraIdOptions.PublicCloudInstance}.");

        if (!string.IsNullOrWhiteSpace(options.Authority))
            failures.Add("AzureAd:Authority is not supported: set AzureAd:Instance and AzureAd:TenantId instead.");
        if (!string.IsNullOrWhiteSpace(options.SignUpSignInPolicyId))
            failures.Add("AzureAd:SignUpSignInPolicyId (Azure AD B2C) is not supported for callers: configure B2C as a generic issuer with Callers:Authority.");

        var tenant = options.TenantId?.Trim();
        if (string.IsNullOrEmpty(tenant))
            failures.Add("AzureAd:TenantId must be set: the Directory (tenant) ID of the gateway's tenant.");
        else if (tenant.Equals("consumers", StringComparison.OrdinalIgnoreCase))
            failures.Add("AzureAd:TenantId 'consumers' admits personal Microsoft accounts, which are not applications: set the gateway's tenant id.");
        else if (!Guid.TryParse(tenant, out var tenantId) && options.AllowedTenants.Count == 0)
            failures.Add(MultiTenant.Contains(tenant, StringComparer.OrdinalIgnoreCase)
                ? $"AzureAd:TenantId '{tenant}' admits apps of every Entra tenant: set the gateway's tenant id, or list the tenants allowed in AzureAd:AllowedTenants:N."
                : $"AzureAd:TenantId '{tenant}' is not a tenant id: tokens name their tenant by id, so set the Directory (tenant) ID, or list AzureAd:AllowedTenants:N.");
        else if (Guid.TryParse(tenant, out tenantId) && options.AllowedTenants.Count > 0
                 && !options.AllowedTenants.Any(t => Guid.TryParse(t, out var allowed) && allowed == tenantId))
            failures.Add($"AzureAd:AllowedTenants does not include AzureAd:TenantId {tenant}: list the gateway's own tenant too, or leave AzureAd:AllowedTenants empty.");

        for (var i = 0; i < options.AllowedTenants.Count; i++)
        {
            if (!Guid.TryParse(options.AllowedTenants[i], out _))
                failures.Add($"AzureAd:AllowedTenants:{i} '{options.AllowedTenants[i]}' must be a tenant id (GUID).");
        }

        if (options.Audience is { } audience && (string.IsNullOrWhiteSpace(audience) || !Uri.TryCreate(audience, UriKind.Absolute, out _) && !Guid.TryParse(audience, out _)))
            failures.Add($"AzureAd:Audience '{audience}' must be the app's App ID URI (e.g. api://{options.ClientId}) or be left unset.");

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// After Microsoft.Identity.Web's set-up: the audiences Entra issues for the app (its default accepts only one of them
/// once <c>AzureAd:Audience</c> is set), and an issuer check against the allowed tenants instead of "any Entra tenant".
/// </summary>
internal sealed class EntraIdTokens(IOptions<EntraIdOptions> entra) : IPostConfigureOptions<JwtBearerOptions>
{
    /// <summary>The v1.0 issuer of Entra's public cloud; v2.0 tokens are issued at the instance itself.</summary>
    private const string PublicCloudV1Issuer = "https://sts.windows.net/";

    public void PostConfigure(string? name, JwtBearerOptions options)
    {
        if (name != JwtBearerDefaults.AuthenticationScheme) return;
        var settings = entra.Value;
        var parameters = options.TokenValidationParameters;
        parameters.AudienceValidator = null;
        parameters.ValidAudience = null;
        parameters.ValidAudiences = settings.Audiences;
        parameters.ValidateAudience = true;
        parameters.ValidateIssuer = true;
        parameters.IssuerValidator = IssuerOfAllowedTenant(settings);
    }

    /// <summary>
    /// The token's <c>tid</c> must be an allowed tenant, and its <c>iss</c> Entra's issuer for that very tenant:
    /// <c>{Instance}{tid}/v2.0</c> (v2.0 tokens) or, in the public cloud, <c>https://sts.windows.net/{tid}/</c> (v1.0).
    /// </summary>
    private static IssuerValidator IssuerOfAllowedTenant(EntraIdOptions settings)
    {
        var tenants = settings.Tenants.ToHashSet();
        var instance = settings.NormalizedInstance;
        var publicCloud = instance.Equals(EntraIdOptions.PublicCloudInstance, StringComparison.OrdinalIgnoreCase);
        return (issuer, token, _) =>
        {
            var tenant = token is JsonWebToken jwt && jwt.TryGetPayloadValue<string>("tid", out var tid) && Guid.TryParse(tid, out var id) ? id : (Guid?)null;
            if (tenant is not { } allowed || !tenants.Contains(allowed))
                throw new SecurityTokenInvalidIssuerException($"The token's tenant is not among the allowed tenants (AzureAd:TenantId, AzureAd:AllowedTenants).") { InvalidIssuer = issuer };
            var tenantText = allowed.ToString("D");
            if (string.Equals(issuer, $"{instance}{tenantText}/v2.0", StringComparison.OrdinalIgnoreCase) ||
                (publicCloud && string.Equals(issuer, $"{PublicCloudV1Issuer}{tenantText}/", StringComparison.OrdinalIgnoreCase)))
                return issuer;
            throw new SecurityTokenInvalidIssuerException("The token's issuer is not Entra ID's issuer for its tenant.") { InvalidIssuer = issuer };
        };
    }
}
