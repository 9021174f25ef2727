using Ett.Gateway.Sandbox;
using Ett.Sandbox;
using Microsoft.OpenApi;

namespace Ett.Gateway.OpenApi;

/// <summary>
/// How callers authenticate to the gateway, as OpenAPI security schemes: a bearer JWT always, and an OAuth2
/// client-credentials flow when <c>OpenApi:TokenUrl</c> is configured so Swagger UI's "Authorize" can fetch a token.
/// Both gateway documents use these, so the ETT passthrough asks for the gateway's token, never for ETT's.
/// </summary>
internal sealed class GatewaySecuritySchemes(IConfiguration configuration)
{
    public const string Bearer = "Bearer";
    public const string OAuth2 = "OAuth2";

    /// <summary>Known scope names and what they allow; any other configured scope is shown by its name.</summary>
    private static readonly Dictionary<string, string> ScopeDescriptions = new(StringComparer.Ordinal)
    {
        ["ett.read"] = "Read (GET, HEAD)",
        ["ett.write"] = "Write: contracts, partners, transfers, claims (implies read)",
    };

    public IReadOnlyDictionary<string, OpenApiSecurityScheme> Schemes { get; } = Build(configuration);

    /// <summary>With the sandbox, the development caller Swagger UI pre-fills in Authorize; otherwise none.</summary>
    public string? DevelopmentClientId { get; } = SandboxEnabled(configuration) ? SandboxSeed.CallerClientId : null;

    private static bool SandboxEnabled(IConfiguration configuration) => SandboxHosting.UsesSandbox(configuration);

    /// <summary>Alternative requirements (any one suffices), referencing the schemes in <paramref name="document"/>.</summary>
    public List<OpenApiSecurityRequirement> Requirements(OpenApiDocument document) =>
    [
        .. Schemes.Keys.Select(name => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(name, document)] = [] }),
    ];

    public void AddTo(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        foreach (var (name, scheme) in Schemes) document.Components.SecuritySchemes[name] = scheme;
    }

    private static Dictionary<string, OpenApiSecurityScheme> Build(IConfiguration configuration)
    {
        var schemes = new Dictionary<string, OpenApiSecurityScheme>
        {
            [Bearer] = new()
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "An access token for the gateway from the company's identity provider, with the role "
                    + "Ett.Read / Ett.Write or the scope ett.read / ett.write.",
            },
        };

        if (configuration["OpenApi:TokenUrl"] is { Length: > 0 } tokenUrl)
        {
            schemes[OAuth2] = new()
            {
                Type = SecuritySchemeType.OAuth2,
                Description = SandboxEnabled(configuration)
                    ? $"The sandbox's development identity provider: client id `{SandboxSeed.CallerClientId}` (read and write) or "
                        + $"`{SandboxSeed.ReaderClientId}` (read only), client secret `{SandboxSeed.CallerClientSecret}`."
                    : "Client credentials of your app's registration at the company's identity provider.",
                Flows = new OpenApiOAuthFlows
                {
                    ClientCredentials = new OpenApiOAuthFlow
                    {
                        TokenUrl = new Uri(tokenUrl, UriKind.RelativeOrAbsolute),
                        Scopes = configuration.GetSection("OpenApi:Scopes").Get<string[]>()
                            ?.ToDictionary(s => s, s => ScopeDescriptions.GetValueOrDefault(s, s))
                            ?? new Dictionary<string, string>(),
                    },
                },
            };
        }

        return schemes;
    }
}
