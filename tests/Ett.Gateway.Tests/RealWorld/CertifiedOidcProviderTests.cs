using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Gateway.Tests.RealWorld;

/// <summary>
/// The gateway against npm's oidc-provider (OpenID Certified) as the company's identity provider, configured only
/// through its documented generic-OIDC settings (<c>Callers:Authority</c>, <c>Callers:Audience</c>,
/// <c>Callers:RequireHttpsMetadata</c>, <c>Callers:KeyRefreshInterval</c>, <c>Callers:KeyAutomaticRefreshInterval</c>):
/// discovery, JWKS, roles and scopes, key rotation and removal, and the provider going down.
/// The provider's tokens carry real time, so the gateway runs on the system clock here, never on TestClock.
/// </summary>
[Trait("Category", "RealWorld")]
public sealed class CertifiedOidcProviderTests : IAsyncLifetime
{
    private const string Audience = "api://ett-gateway";
    private const int TokenLifetimeSeconds = 600;

    private static readonly OidcClient Reader = new("reader-app", "reader-secret", Audience, Roles: ["Ett.Read"]);
    private static readonly OidcClient Writer = new("writer-app", "writer-secret", Audience, Roles: ["Ett.Read", "Ett.Write"], AuthMethod: "client_secret_basic");
    private static readonly OidcClient Scoped = new("scoped-app", "scoped-secret", Audience, Scope: "ett.read ett.write");
    private static readonly OidcClient Elsewhere = new("other-api-app", "other-secret", "api://another-api", Roles: ["Ett.Read", "Ett.Write"]);

    private readonly OidcSigningKey _keyA = new("key-a");
    private readonly OidcSigningKey _keyB = new("key-b");
    private CertifiedOidcProvider _provider = null!;
    private FakeUpstreams _ett = null!;
    private GatewayFactory _gateway = null!;

    public async Task InitializeAsync()
    {
        _provider = CertifiedOidcProvider.Create(Reader, Writer, Scoped, Elsewhere);
        _ett = await FakeUpstreams.StartAsync();
        var settings = GatewayFactory.SettingsFor(_ett);
        settings["Callers:Authority"] = _provider.Issuer;
        settings["Callers:Audience"] = Audience;
        settings["Callers:RequireHttpsMetadata"] = "false";
        // Short, so rotation and removal show within seconds of real time.
        settings["Callers:KeyRefreshInterval"] = "00:00:01";
        settings["Callers:KeyAutomaticRefreshInterval"] = "00:00:02";
        _gateway = new GatewayFactory(settings, configure: builder =>
            builder.ConfigureTestServices(services => services.AddSingleton(TimeProvider.System)));
    }

    [RealWorldFact]
    public async Task Clients_with_roles_and_with_scopes_get_what_their_tokens_allow()
    {
        await _provider.StartAsync(TokenLifetimeSeconds, _keyA);
        var cases = new (string Name, string Token, HttpStatusCode Read, HttpStatusCode Write)[]
        {
            ("role Ett.Read", await _provider.TokenAsync(Reader), HttpStatusCode.OK, HttpStatusCode.Forbidden),
            ("roles Ett.Read Ett.Write", await _provider.TokenAsync(Writer), HttpStatusCode.OK, HttpStatusCode.OK),
            ("scope ett.read", await _provider.TokenAsync(Scoped, "ett.read"), HttpStatusCode.OK, HttpStatusCode.Forbidden),
            ("scope ett.write", await _provider.TokenAsync(Scoped, "ett.write"), HttpStatusCode.OK, HttpStatusCode.OK),
            ("no role, no scope", await _provider.TokenAsync(Scoped), HttpStatusCode.Forbidden, HttpStatusCode.Forbidden),
        };

        foreach (var (name, token, read, write) in cases)
        {
            var before = _ett.EttRequests.Count;
            int Posts() => _ett.EttRequests.Count(r => r.Method == "POST" && r.Path == "/wallet-api/transfers");
            var postsBefore = Posts();
            var get = await Caller(token).GetAsync("/ett/api/authorization/client/consents");
            // A transfer is within Ett.Write (Ett.Transfer); the gateway may read ETT's consent list for the organization too.
            var post = await Caller(token).PostAsync($"/ett/wallet-api/transfers?organizationId={Guid.NewGuid()}",
                new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

            Assert.True(read == get.StatusCode, $"{name}: GET answered {(int)get.StatusCode}");
            Assert.True(write == post.StatusCode, $"{name}: POST answered {(int)post.StatusCode} {await post.Content.ReadAsStringAsync()}");
            Assert.True(Posts() - postsBefore == (write == HttpStatusCode.OK ? 1 : 0), $"{name}: {Posts() - postsBefore} transfer POSTs reached ETT");
            if (read != HttpStatusCode.OK)
                Assert.True(before == _ett.EttRequests.Count, $"{name}: {_ett.EttRequests.Count - before} ETT calls for a refused caller");
        }
    }

    [RealWorldFact]
    public async Task Tokens_the_provider_did_not_issue_for_the_gateway_are_refused_with_zero_ett_calls()
    {
        await _provider.StartAsync(TokenLifetimeSeconds, _keyA);
        var valid = await _provider.TokenAsync(Writer);
        var parts = valid.Split('.');
        var cases = new (string Name, string Token)[]
        {
            ("another audience (resource indicator)", await _provider.TokenAsync(Elsewhere)),
            ("signature altered", $"{parts[0]}.{parts[1]}.{Base64UrlEncoder.Encode(new byte[256])}"),
            ("claims altered", $"{parts[0]}.{Base64UrlEncoder.Encode("""{"sub":"writer-app","roles":["Ett.Write"],"aud":"api://ett-gateway"}""")}.{parts[2]}"),
            ("another issuer's token", _ett.CallerToken(audience: Audience)),
            ("not a JWT", "not-a-token"),
        };

        foreach (var (name, token) in cases)
        {
            var response = await Caller(token).GetAsync("/ett/api/authorization/client/consents");
            Assert.True(HttpStatusCode.Unauthorized == response.StatusCode, $"{name}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Empty(_ett.EttRequests);
        Assert.Equal(HttpStatusCode.OK, (await Caller(valid).GetAsync("/ett/api/authorization/client/consents")).StatusCode);
    }

    [RealWorldFact]
    public async Task A_rotated_key_is_accepted_and_a_removed_key_refused_without_restarting_the_gateway()
    {
        await _provider.StartAsync(TokenLifetimeSeconds, _keyA);
        var signedByA = await _provider.TokenAsync(Writer);
        Assert.Equal(HttpStatusCode.OK, (await Caller(signedByA).GetAsync("/ett/api/authorization/client/consents")).StatusCode);

        // The provider rotates: key B signs, key A is still published. The gateway learns B at the first token it signs.
        await _provider.StartAsync(TokenLifetimeSeconds, _keyB, _keyA);
        var signedByB = await _provider.TokenAsync(Writer);
        Assert.Equal("key-b", new JsonWebToken(signedByB).Kid);
        Assert.Equal(HttpStatusCode.OK, await StatusWithinAsync(signedByB, HttpStatusCode.OK));
        Assert.Equal(HttpStatusCode.OK, (await Caller(signedByA).GetAsync("/ett/api/authorization/client/consents")).StatusCode);

        // Key A removed: refused once the gateway re-reads the keys (Callers:KeyAutomaticRefreshInterval); B still works.
        await _provider.StartAsync(TokenLifetimeSeconds, _keyB);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithinAsync(signedByA, HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.OK, (await Caller(signedByB).GetAsync("/ett/api/authorization/client/consents")).StatusCode);
    }

    [RealWorldFact]
    public async Task Provider_down_at_start_up_means_401_problems_until_it_is_up()
    {
        var health = await _gateway.CreateClient().GetAsync("/health/live");
        var response = await Caller(_ett.CallerToken(audience: Audience)).GetAsync("/ett/api/authorization/client/consents");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(_ett.EttRequests);

        await _provider.StartAsync(TokenLifetimeSeconds, _keyA);
        Assert.Equal(HttpStatusCode.OK, await StatusWithinAsync(await _provider.TokenAsync(Writer), HttpStatusCode.OK));
    }

    [RealWorldFact]
    public async Task Provider_down_later_keeps_known_keys_working_and_refuses_unknown_ones()
    {
        await _provider.StartAsync(TokenLifetimeSeconds, _keyA);
        var signedByA = await _provider.TokenAsync(Writer);
        Assert.Equal(HttpStatusCode.OK, (await Caller(signedByA).GetAsync("/ett/api/authorization/client/consents")).StatusCode);
        await _provider.StartAsync(TokenLifetimeSeconds, _keyB, _keyA);
        var signedByB = await _provider.TokenAsync(Writer);

        await _provider.StopAsync();

        Assert.Equal(HttpStatusCode.OK, (await Caller(signedByA).GetAsync("/ett/api/authorization/client/consents")).StatusCode);
        var unknown = await Caller(signedByB).GetAsync("/ett/api/authorization/client/consents");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await Caller(signedByA).GetAsync("/ett/api/authorization/client/consents")).StatusCode);
    }

    /// <summary>
    /// The gateway re-reads the JWKS on its own schedule (a token with an unknown key, the automatic interval), and the
    /// provider's clock is real: a bounded number of tries, at most five seconds, until <paramref name="expected"/>.
    /// </summary>
    private async Task<HttpStatusCode> StatusWithinAsync(string token, HttpStatusCode expected)
    {
        var status = (await Caller(token).GetAsync("/ett/api/authorization/client/consents")).StatusCode;
        for (var attempt = 0; attempt < 50 && status != expected; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100));
            status = (await Caller(token).GetAsync("/ett/api/authorization/client/consents")).StatusCode;
        }
        return status;
    }

    private HttpClient Caller(string token)
    {
        var client = _gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _ett.DisposeAsync();
        await _provider.DisposeAsync();
    }
}
