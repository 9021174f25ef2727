using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ett.Gateway.Callers;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Gateway.Tests.Callers;

/// <summary>The validated-caller-token cache may only ever save work: never accept what full validation would refuse.</summary>
public class ValidatedCallerTokensTests : GatewayTest
{
    private string Path => $"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}";

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
        var old = Gateway.CreateCaller(Upstreams.CallerToken());
        Assert.Equal(HttpStatusCode.OK, (await old.GetAsync(Path)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await old.GetAsync(Path)).StatusCode);

        // The issuer rotates and retires the old key; the gateway re-reads its keys at the automatic refresh (1 h).
        var retired = Upstreams.PublishedCallerKeys.Single();
        Upstreams.RotateCallerKey("rotated-key");
        Upstreams.PublishedCallerKeys.Remove(retired);
        Gateway.Time.Advance(TimeSpan.FromHours(1));
        var rotated = await Gateway.CreateCaller(Upstreams.CallerToken()).GetAsync(Path);

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(1, Cache.Count); // the keys changed: only the new token is remembered
        Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync(Path)).StatusCode);
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
        var response = await Gateway.CreateCaller(tampered).PostAsync($"/ett/wallet-api/transfers?organizationId={Upstreams.OwnOrganization}", new StringContent("{}"));

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
}
