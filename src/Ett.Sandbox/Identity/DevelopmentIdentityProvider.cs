using Ett.Sandbox.Ett;
using System.Security.Cryptography;
using Ett.Sandbox.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Sandbox.Identity;

/// <summary>
/// A minimal OpenID provider for the gateway's callers: discovery, JWKS and a client-credentials token endpoint that
/// issues RS256 tokens with roles and scopes for the well-known development clients.
/// </summary>
internal sealed class DevelopmentIdentityProvider : IDisposable
{
    private sealed record DevelopmentClient(string ClientId, string Secret, string[] Roles, string Scope);

    private static readonly DevelopmentClient[] Clients =
    [
        new(SandboxSeed.CallerClientId, SandboxSeed.CallerClientSecret, ["Ett.Read", "Ett.Write"], "ett.read ett.write"),
        new(SandboxSeed.ReaderClientId, SandboxSeed.CallerClientSecret, ["Ett.Read"], "ett.read"),
        new(SandboxSeed.AdminClientId, SandboxSeed.CallerClientSecret, ["Ett.Read", "Ett.Admin"], "ett.read ett.admin"),
    ];

    private readonly TimeProvider _time;
    private readonly IOptions<SandboxOptions> _options;
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly JsonWebTokenHandler _handler = new();

    public DevelopmentIdentityProvider(TimeProvider time, IOptions<SandboxOptions> options)
    {
        _time = time;
        _options = options;
        // A new key per start: tokens from an earlier run stop validating, as a development key should.
        Key = new RsaSecurityKey(_rsa) { KeyId = Convert.ToHexString(SHA256.HashData(_rsa.ExportRSAPublicKey()))[..16] };
    }

    private RsaSecurityKey Key { get; }

    public void Map(IEndpointRouteBuilder idp)
    {
        idp.MapGet("/.well-known/openid-configuration", (HttpRequest request) =>
        {
            var issuer = IssuerFor(request);
            return Results.Json(new
            {
                issuer,
                jwks_uri = $"{issuer}/jwks",
                token_endpoint = $"{issuer}/connect/token",
                grant_types_supported = new[] { "client_credentials" },
                token_endpoint_auth_methods_supported = new[] { "client_secret_post", "client_secret_basic" },
                response_types_supported = new[] { "token" },
                subject_types_supported = new[] { "public" },
                id_token_signing_alg_values_supported = new[] { SecurityAlgorithms.RsaSha256 },
                scopes_supported = new[] { "ett.read", "ett.write" },
            }, EttResults.Json);
        });
        idp.MapGet("/jwks", () =>
        {
            var parameters = _rsa.ExportParameters(includePrivateParameters: false);
            return Results.Json(new
            {
                keys = new[]
                {
                    new
                    {
                        kty = "RSA",
                        use = "sig",
                        kid = Key.KeyId,
                        alg = SecurityAlgorithms.RsaSha256,
                        n = Base64UrlEncoder.Encode(parameters.Modulus),
                        e = Base64UrlEncoder.Encode(parameters.Exponent),
                    },
                },
            }, EttResults.Json);
        });
        idp.MapPost("/connect/token", IssueAsync);
    }

    /// <summary>The issuer: configured, or derived from the request so the gateway can discover it on any host and port.</summary>
    public string IssuerFor(HttpRequest request) =>
        _options.Value.IdpIssuer ?? $"{request.Scheme}://{request.Host}{request.PathBase}{_options.Value.IdpPrefix}";

    /// <summary>Signs a caller token with arbitrary claims; tests use it for expired, not-yet-valid or wrong-audience tokens.</summary>
    public string IssueToken(string issuer, string audience, IReadOnlyDictionary<string, object> claims, DateTimeOffset issuedAt, TimeSpan lifetime) =>
        _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = (issuedAt + lifetime).UtcDateTime,
            Claims = claims.ToDictionary(),
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256),
        });

    public void Dispose() => _rsa.Dispose();

    private async Task<IResult> IssueAsync(HttpRequest request)
    {
        var credentials = await ClientCredentials.ReadAsync(request);
        if (credentials.Reject() is { } rejection)
        {
            return rejection;
        }

        var client = Clients.SingleOrDefault(c => c.ClientId == credentials.ClientId);
        if (client is null
            || !CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(client.Secret), System.Text.Encoding.UTF8.GetBytes(credentials.ClientSecret!)))
        {
            return ClientCredentials.InvalidClient();
        }

        var lifetime = _options.Value.CallerTokenLifetime;
        var token = IssueToken(IssuerFor(request), _options.Value.IdpAudience, ClaimsOf(client), _time.GetUtcNow(), lifetime);
        return Results.Json(new { access_token = token, token_type = "Bearer", expires_in = (long)lifetime.TotalSeconds, scope = client.Scope }, EttResults.Json);
    }

    private static Dictionary<string, object> ClaimsOf(DevelopmentClient client) => new()
    {
        ["sub"] = client.ClientId,
        ["client_id"] = client.ClientId,
        ["azp"] = client.ClientId,
        ["roles"] = client.Roles,
        ["scope"] = client.Scope,
    };
}
