using System.Net;
using System.Net.Http.Json;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Gateway.Tests.RealWorld;

/// <summary>
/// npm's oidc-provider as a standard OAuth2 token endpoint for ETT (client_secret_post, as ETT's B2C takes it), with a
/// recording ETT behind the gateway: the gateway asks for one token per lifetime and sends exactly that token to ETT.
/// The gateway's clock is TestClock (it only counts the token's expires_in); the provider's is real.
/// </summary>
[Trait("Category", "RealWorld")]
public sealed class CertifiedEttTokenEndpointTests : IAsyncLifetime
{
    private const string EttResource = "https://ett.example/energy-origin";
    private const int TokenLifetimeSeconds = 3600;

    private static readonly OidcClient Gateway = new(FakeUpstreams.EttClientId, FakeUpstreams.EttClientSecret, EttResource, Scope: "energy-origin");

    private readonly OidcSigningKey _key = new("ett-key");
    private readonly CertifiedOidcProvider _provider = CertifiedOidcProvider.Create(Gateway);
    private FakeUpstreams _upstreams = null!;
    private GatewayFactory _gateway = null!;

    public async Task InitializeAsync()
    {
        await _provider.StartAsync(TokenLifetimeSeconds, _key);
        _upstreams = await FakeUpstreams.StartAsync();
        var settings = GatewayFactory.SettingsFor(_upstreams);
        settings["Ett:TokenUrl"] = _provider.TokenEndpoint.AbsoluteUri;
        settings["Ett:Scope"] = "energy-origin";
        _gateway = new GatewayFactory(settings);
    }

    [RealWorldFact]
    public async Task One_token_per_lifetime_is_fetched_and_sent_to_ett_as_the_bearer()
    {
        var caller = _gateway.CreateCaller(_upstreams.CallerToken());

        for (var call = 0; call < 3; call++)
            Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync("/ett/api/authorization/client/consents")).StatusCode);
        _gateway.Time.Advance(TimeSpan.FromSeconds(TokenLifetimeSeconds));
        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync("/ett/api/authorization/client/consents")).StatusCode);

        var bearers = _upstreams.EttRequests.Select(r => Assert.Single(r.HeaderValues("Authorization"))).ToList();
        Assert.Equal(4, bearers.Count);
        Assert.All(bearers, b => Assert.StartsWith("Bearer ", b));
        var tokens = bearers.Select(b => b["Bearer ".Length..]).ToList();
        Assert.Single(tokens.Take(3).Distinct());
        Assert.NotEqual(tokens[0], tokens[3]);
        Assert.Empty(_upstreams.TokenRequests);

        using var http = new HttpClient();
        var keys = new JsonWebKeySet(await http.GetStringAsync($"{_provider.Issuer}/jwks"));
        foreach (var token in tokens.Distinct())
        {
            var validated = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
            {
                ValidIssuer = _provider.Issuer,
                ValidAudience = EttResource,
                IssuerSigningKeys = keys.GetSigningKeys(),
                ValidateLifetime = false,
            });
            Assert.True(validated.IsValid, validated.Exception?.Message);
            Assert.Equal(FakeUpstreams.EttClientId, validated.Claims["client_id"]);
            Assert.Equal("energy-origin", validated.Claims["scope"]);
        }
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstreams.DisposeAsync();
        await _provider.DisposeAsync();
    }
}
