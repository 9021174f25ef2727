using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Ett.Gateway.Callers;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static Ett.Sandbox.SandboxSeed;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>The development identity provider for the gateway's callers: discovery, JWKS and client-credentials tokens.</summary>
public sealed class DevelopmentIdentityProviderTests : SandboxTestBase
{
    private HttpClient _client = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _client = Server.CreateClient();
    }

    public override async Task DisposeAsync()
    {
        _client.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Discovery_names_the_request_derived_issuer_jwks_and_token_endpoint()
    {
        var discovery = JsonNode.Parse(await _client.GetStringAsync("sandbox/idp/.well-known/openid-configuration"))!;

        Assert.Equal(Server.IdpIssuer, discovery["issuer"]!.GetValue<string>());
        Assert.Equal($"{Server.IdpIssuer}/jwks", discovery["jwks_uri"]!.GetValue<string>());
        Assert.Equal($"{Server.IdpIssuer}/connect/token", discovery["token_endpoint"]!.GetValue<string>());
        Assert.Contains("client_credentials", discovery["grant_types_supported"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Contains("RS256", discovery["id_token_signing_alg_values_supported"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Fact]
    public async Task App_token_validates_against_the_jwks_and_carries_every_permission()
    {
        var result = await ValidateAsync(await Server.GetCallerTokenAsync());

        Assert.True(result.IsValid, result.Exception?.Message);
        var token = (JsonWebToken)result.SecurityToken;
        Assert.Equal(["Ett.Read", "Ett.Write"], token.GetPayloadValue<string[]>("roles"));
        Assert.Equal("ett.read ett.write", token.GetPayloadValue<string>("scope"));
        Assert.Equal((CallerClientId, CallerClientId, CallerClientId),
            (token.Subject, token.GetPayloadValue<string>("client_id"), token.GetPayloadValue<string>("azp")));
        Assert.Equal(3600, (token.ValidTo - token.IssuedAt).TotalSeconds);
    }

    [Fact]
    public async Task Reader_token_is_read_only()
    {
        var token = new JsonWebToken(await Server.GetCallerTokenAsync(ReaderClientId, CallerClientSecret));

        Assert.Equal(["Ett.Read"], token.GetPayloadValue<string[]>("roles"));
        Assert.Equal("ett.read", token.GetPayloadValue<string>("scope"));
    }

    [Fact]
    public async Task Token_endpoint_accepts_basic_authentication()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "sandbox/idp/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
            Headers = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ReaderClientId}:{CallerClientSecret}"))) },
        };

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(("Bearer", 3600), (body["token_type"]!.GetValue<string>(), body["expires_in"]!.GetValue<long>()));
    }

    [Theory]
    [InlineData("client_credentials", CallerClientId, "wrong", HttpStatusCode.Unauthorized, "invalid_client")]
    [InlineData("client_credentials", "nobody", CallerClientSecret, HttpStatusCode.Unauthorized, "invalid_client")]
    [InlineData("password", CallerClientId, CallerClientSecret, HttpStatusCode.BadRequest, "unsupported_grant_type")]
    public async Task Token_endpoint_rejects_bad_requests_with_an_oauth_error(string grantType, string clientId, string secret, HttpStatusCode status, string error)
    {
        using var response = await _client.PostAsync("sandbox/idp/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = grantType,
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        }));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(error, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Tests_can_mint_expired_and_wrong_audience_tokens_with_the_same_key()
    {
        var claims = new Dictionary<string, object> { ["sub"] = "test", ["roles"] = new[] { "Ett.Read" } };
        var expired = Server.IssueCallerToken(claims, issuedAt: Server.Time.GetUtcNow().AddHours(-2), lifetime: TimeSpan.FromHours(1));
        var wrongAudience = Server.IssueCallerToken(claims, audience: "api://someone-else");

        var expiredResult = await ValidateAsync(expired);
        var wrongAudienceResult = await ValidateAsync(wrongAudience);

        Assert.IsType<SecurityTokenExpiredException>(expiredResult.Exception);
        Assert.IsType<SecurityTokenInvalidAudienceException>(wrongAudienceResult.Exception);
    }

    [Fact]
    public async Task Configured_issuer_replaces_the_request_derived_one()
    {
        await using var sandbox = await SandboxServer.StartAsync(configure: o => o.IdpIssuer = "https://idp.sandbox.example");
        using var client = sandbox.CreateClient();

        var discovery = JsonNode.Parse(await client.GetStringAsync("sandbox/idp/.well-known/openid-configuration"))!;
        var token = new JsonWebToken(await sandbox.GetCallerTokenAsync());

        Assert.Equal("https://idp.sandbox.example", discovery["issuer"]!.GetValue<string>());
        Assert.Equal("https://idp.sandbox.example", token.Issuer);
    }

    // Lifetime is checked against the fixture's fake clock, as the gateway checks it against its TimeProvider.
    private async Task<TokenValidationResult> ValidateAsync(string token)
    {
        var keys = new JsonWebKeySet(await _client.GetStringAsync("sandbox/idp/jwks"));
        return await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Server.IdpIssuer,
            ValidAudience = Server.Options.IdpAudience,
            IssuerSigningKeys = keys.GetSigningKeys(),
            LifetimeValidator = CallerTokenLifetime.On(Server.Time),
        });
    }
}
