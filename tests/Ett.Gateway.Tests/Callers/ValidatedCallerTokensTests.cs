using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ett.Gateway.Callers;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Gateway.Tests.Callers;

/// <summary>The validated-caller-token cache may only ever save work: never accept what full validation would refuse.</summary>
public class ValidatedCallerTokensTests : GatewayTest
{
    private const string Path = "/ett/wallet-api/wallets";

    private ValidatedCallerTokens Cache => Gateway.Services.GetRequiredService<ValidatedCallerTokens>();

    [Fact]
    public async Task Expired_token_is_refused_although_cached()
    {
        var token = Upstreams.CallerToken(expires: TestClock.Start.UtcDateTime.AddMinutes(10));
        var caller = Gateway.CreateCaller(token);

        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync(Path)).StatusCode);
        Assert.Equal(1, Cache.Count);

        // Past exp and past the tolerated clock skew (Callers:ClockSkew, 1 minute) on the gateway's clock.
        Gateway.Time.Advance(TimeSpan.FromMinutes(12));
        var response = await caller.GetAsync(Path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(Upstreams.EttRequests);
    }

    [Fact]
    public async Task Token_signed_by_a_rotated_out_key_is_refused_after_the_key_change()
    {
        var oldKey = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "old" };
        var newKey = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "new" };
        var keys = new IssuerSigningKeys(Upstreams.Issuer, oldKey);
        await using var gateway = new GatewayFactory(GatewayFactory.SettingsFor(Upstreams), configure: builder => builder.ConfigureTestServices(services =>
            services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, jwt => jwt.ConfigurationManager = keys)));
        var oldToken = gateway.CreateCaller(Upstreams.CallerToken(signingKey: oldKey));

        Assert.Equal(HttpStatusCode.OK, (await oldToken.GetAsync(Path)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await oldToken.GetAsync(Path)).StatusCode);

        keys.Rotate(newKey);
        var afterRotation = await oldToken.GetAsync(Path);
        var newToken = await gateway.CreateCaller(Upstreams.CallerToken(signingKey: newKey)).GetAsync(Path);

        Assert.Equal(HttpStatusCode.Unauthorized, afterRotation.StatusCode);
        Assert.Equal(HttpStatusCode.OK, newToken.StatusCode);
        Assert.Equal(3, Upstreams.EttRequests.Count);
    }

    public static TheoryData<string> Tamperings => ["payload claim changed", "signature byte changed", "character appended", "signature cut short", "header changed"];

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Tampered_token_never_matches_a_cached_one(string tampering)
    {
        var token = Upstreams.CallerToken(roles: ["Ett.Read"]);
        Assert.Equal(HttpStatusCode.OK, (await Gateway.CreateCaller(token).GetAsync(Path)).StatusCode);
        var (header, payload, signature) = (token.Split('.')[0], token.Split('.')[1], token.Split('.')[2]);

        var tampered = tampering switch
        {
            "payload claim changed" => $"{header}.{WithClaim(payload, "roles", new JsonArray("Ett.Read", "Ett.Write"))}.{signature}",
            "signature byte changed" => $"{header}.{payload}.{signature[..10]}{(signature[10] == 'A' ? 'B' : 'A')}{signature[11..]}",
            "character appended" => token + "A",
            "signature cut short" => token[..^4],
            "header changed" => $"{WithClaim(header, "kid", "other")}.{payload}.{signature}",
            _ => throw new ArgumentOutOfRangeException(nameof(tampering)),
        };
        var response = await Gateway.CreateCaller(tampered).PostAsync("/ett/wallet-api/transfers", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(Upstreams.EttRequests);
        Assert.Equal(1, Cache.Count);
    }

    [Fact]
    public async Task A_cached_token_gives_the_same_identity_as_full_validation()
    {
        var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "k" };
        var time = TestClock.Create();
        var handler = new CachingTokenHandler(new JsonWebTokenHandler { MapInboundClaims = false }, new ValidatedCallerTokens(time), "Bearer");
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = Upstreams.Issuer, ValidAudience = FakeUpstreams.Audience, IssuerSigningKey = key,
            LifetimeValidator = (_, expires, _, _) => expires > time.GetUtcNow().UtcDateTime,
        };
        var token = Upstreams.CallerToken(signingKey: key);

        var fresh = await handler.ValidateTokenAsync(token, parameters);
        var cached = await handler.ValidateTokenAsync(token, parameters);

        Assert.True(fresh.IsValid);
        Assert.True(cached.IsValid);
        Assert.NotSame(fresh.ClaimsIdentity, cached.ClaimsIdentity);
        Assert.Equal(fresh.ClaimsIdentity.GetType(), cached.ClaimsIdentity.GetType());
        Assert.Equal(fresh.ClaimsIdentity.AuthenticationType, cached.ClaimsIdentity.AuthenticationType);
        Assert.Equal(fresh.ClaimsIdentity.NameClaimType, cached.ClaimsIdentity.NameClaimType);
        Assert.Equal(fresh.ClaimsIdentity.RoleClaimType, cached.ClaimsIdentity.RoleClaimType);
        Assert.Equal(fresh.ClaimsIdentity.Claims.Select(c => (c.Type, c.Value, c.ValueType, c.Issuer)), cached.ClaimsIdentity.Claims.Select(c => (c.Type, c.Value, c.ValueType, c.Issuer)));
        Assert.Same(fresh.SecurityToken, cached.SecurityToken);
    }

    private static string WithClaim(string segment, string name, JsonNode value)
    {
        var json = JsonNode.Parse(Base64UrlEncoder.Decode(segment))!.AsObject();
        json[name] = value;
        return Base64UrlEncoder.Encode(json.ToJsonString());
    }

    /// <summary>
    /// The issuer's published keys, switched by the test the moment it rotates them (IdentityModel re-reads JWKS in the
    /// background, on the wall clock). Without IdentityModel's last-known-good fallback, which would otherwise accept the
    /// old key's tokens for an hour by itself: the test is about what the cache adds, and it must add nothing.
    /// </summary>
    private sealed class IssuerSigningKeys : BaseConfigurationManager, IConfigurationManager<OpenIdConnectConfiguration>
    {
        private readonly string _issuer;
        private OpenIdConnectConfiguration _current;

        public IssuerSigningKeys(string issuer, SecurityKey key)
        {
            _issuer = issuer;
            _current = ConfigurationWith(issuer, key);
            UseLastKnownGoodConfiguration = false;
        }

        public void Rotate(SecurityKey next) => _current = ConfigurationWith(_issuer, next);

        public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel) => Task.FromResult(_current);

        public override Task<BaseConfiguration> GetBaseConfigurationAsync(CancellationToken cancel) => Task.FromResult<BaseConfiguration>(_current);

        public override void RequestRefresh()
        {
        }

        private static OpenIdConnectConfiguration ConfigurationWith(string issuer, SecurityKey key)
        {
            var configuration = new OpenIdConnectConfiguration { Issuer = issuer };
            configuration.SigningKeys.Add(key);
            return configuration;
        }
    }
}
