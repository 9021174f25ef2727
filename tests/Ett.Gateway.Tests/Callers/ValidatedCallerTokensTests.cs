using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ett.Gateway.Callers;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
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
    public async Task On_one_kestrel_connection_a_token_is_hashed_once_and_still_refused_once_expired()
    {
        await using var kestrel = new GatewayFactory(Upstreams, Configure);
        kestrel.UseKestrel(0);
        kestrel.StartServer();
        var caller = kestrel.CreateCaller(Upstreams.CallerToken(expires: TestClock.Start.UtcDateTime.AddMinutes(10)));
        var cache = kestrel.Services.GetRequiredService<ValidatedCallerTokens>();
        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync(Path)).StatusCode);
        var hashed = cache.Hashed;

        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync(Path)).StatusCode);

        // Kestrel handed the connection's requests one string for the header: its hash was remembered, not computed again.
        Assert.Equal(hashed, cache.Hashed);
        kestrel.Time.Advance(TimeSpan.FromMinutes(12));
        Assert.Equal(HttpStatusCode.Unauthorized, (await caller.GetAsync(Path)).StatusCode);
        Assert.Equal(4, Upstreams.EttRequests.Count);
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

    private static string WithClaim(string segment, string name, JsonNode value)
    {
        var json = JsonNode.Parse(Base64UrlEncoder.Decode(segment))!.AsObject();
        json[name] = value;
        return Base64UrlEncoder.Encode(json.ToJsonString());
    }
}

/// <summary>
/// A cached token skips validation and JwtBearer's events: it may only be cached once every handler of
/// <c>TokenValidated</c> accepted it, and its principal must be the one those handlers left.
/// </summary>
public class CachedCallerTokenEventsTests : GatewayTest
{
    private const string RefusedApp = "refused-app";
    private int _validatedEvents;

    private string Path => $"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}";

    private ValidatedCallerTokens Cache => Gateway.Services.GetRequiredService<ValidatedCallerTokens>();

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Callers:RoleClaims:0", "realm_access.roles");
        // Configured before every post-configuration, as Microsoft.Identity.Web sets its own TokenValidated handler.
        builder.ConfigureTestServices(services => services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, options =>
        {
            options.Events ??= new JwtBearerEvents();
            var next = options.Events.OnTokenValidated;
            options.Events.OnTokenValidated = context =>
            {
                Interlocked.Increment(ref _validatedEvents);
                if (context.Principal?.FindFirst("client_id")?.Value == RefusedApp) context.Fail("refused by a TokenValidated handler");
                return next(context);
            };
        }));
    }

    [Fact]
    public async Task A_cached_token_skips_validation_and_keeps_the_roles_the_events_added()
    {
        var realmRoles = new Dictionary<string, object> { ["realm_access"] = new Dictionary<string, object> { ["roles"] = new[] { "Ett.Read" } } };
        var caller = Gateway.CreateCaller(Upstreams.CallerToken(roles: [], claims: realmRoles));

        var first = await caller.GetAsync(Path);
        var second = await caller.GetAsync(Path);
        var write = await caller.PostAsync($"/ett/wallet-api/transfers?organizationId={Upstreams.OwnOrganization}", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode); // the roles claim copied from realm_access.roles is still there
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Contains("Ett.Transfer", await write.Content.ReadAsStringAsync());
        Assert.Equal(1, _validatedEvents);
        Assert.Equal(1, Cache.Count);
        Assert.Equal(2, Upstreams.EttRequests.Count);
    }

    [Fact]
    public async Task A_token_a_TokenValidated_handler_refuses_is_never_cached()
    {
        var refused = Gateway.CreateCaller(Upstreams.CallerToken(clientId: RefusedApp));

        var first = await refused.GetAsync(Path);
        var second = await refused.GetAsync(Path);

        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.Equal(2, _validatedEvents);
        Assert.Equal(0, Cache.Count);
        Assert.Empty(Upstreams.EttRequests);
        Assert.Empty(Upstreams.TokenRequests);
    }
}

/// <summary>
/// A cached token is answered by the gateway's authentication middleware before a JwtBearer handler is made, leaving
/// what the framework's path leaves; anything else goes the framework's way.
/// </summary>
public class CachedCallerAuthenticationTests : GatewayTest
{
    private readonly ConcurrentQueue<SeenAfterThePipeline.Seen> _seen = new();

    private string Path => $"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}";

    protected override void Configure(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter>(new SeenAfterThePipeline(_seen)));

    [Fact]
    public async Task A_cached_token_is_answered_before_JwtBearer_with_the_same_principal_and_features()
    {
        var caller = Gateway.CreateCaller(Upstreams.CallerToken(clientId: "app-1", roles: ["Ett.Read"]));

        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync(Path)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync(Path)).StatusCode);
        var refused = await caller.PostAsync($"/ett/wallet-api/transfers?organizationId={Upstreams.OwnOrganization}", new StringContent("{}"));

        var seen = _seen.ToArray();
        Assert.Equal(3, seen.Length);
        Assert.NotEqual(SeenAfterThePipeline.Cached, seen[0].Feature); // validated by JwtBearer
        Assert.All(seen[1..], s => Assert.Equal(SeenAfterThePipeline.Cached, s.Feature));
        Assert.All(seen, s => Assert.Equal((true, JwtBearerDefaults.AuthenticationScheme, "app-1"), (s.Authenticated, s.Scheme, s.ClientId)));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode); // the cached principal's roles still decide
        Assert.Equal(2, Upstreams.EttRequests.Count);
    }

    [Fact]
    public async Task A_request_without_a_cached_token_goes_the_framework_s_way()
    {
        Assert.Equal(HttpStatusCode.OK, (await Gateway.CreateCaller(Upstreams.CallerToken(clientId: "app-1")).GetAsync(Path)).StatusCode);

        var anonymous = await Gateway.CreateClient().GetAsync(Path);
        var garbage = await Gateway.CreateCaller("not-a-token").GetAsync(Path);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, garbage.StatusCode);
        Assert.Equal(3, _seen.Count);
        Assert.All(_seen, s => Assert.NotEqual(SeenAfterThePipeline.Cached, s.Feature));
        Assert.Single(Upstreams.EttRequests);
    }
}

/// <summary>Someone else's <c>MessageReceived</c> handler runs for every request: cached tokens then stay on JwtBearer's path.</summary>
public class CachedCallerAuthenticationWithAnotherHandlerTests : GatewayTest
{
    private readonly ConcurrentQueue<SeenAfterThePipeline.Seen> _seen = new();
    private int _received;

    protected override void Configure(IWebHostBuilder builder) => builder.ConfigureTestServices(services =>
    {
        services.AddSingleton<IStartupFilter>(new SeenAfterThePipeline(_seen));
        services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, options =>
        {
            options.Events ??= new JwtBearerEvents();
            options.Events.OnMessageReceived = _ =>
            {
                Interlocked.Increment(ref _received);
                return Task.CompletedTask;
            };
        });
    });

    [Fact]
    public async Task Its_handler_sees_every_request_and_the_token_is_still_answered_from_the_cache()
    {
        var caller = Gateway.CreateCaller(Upstreams.CallerToken(clientId: "app-1"));
        var path = $"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}";

        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync(path)).StatusCode);

        Assert.Equal(2, _received);
        Assert.Equal(2, _seen.Count);
        Assert.All(_seen, s => Assert.NotEqual(SeenAfterThePipeline.Cached, s.Feature));
        Assert.Equal(1, Gateway.Services.GetRequiredService<ValidatedCallerTokens>().Count);
        Assert.Equal(2, Upstreams.EttRequests.Count);
    }
}

/// <summary>Records, after the whole pipeline, which authentication features a request was left with.</summary>
internal sealed class SeenAfterThePipeline(ConcurrentQueue<SeenAfterThePipeline.Seen> seen) : IStartupFilter
{
    public const string Cached = nameof(CachedCallerAuthentication.CallerAuthenticated);

    public sealed record Seen(string Feature, bool Authenticated, string? Scheme, string? ClientId);

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, inner) =>
        {
            await inner(context);
            var result = context.Features.Get<IAuthenticateResultFeature>();
            seen.Enqueue(new Seen(result?.GetType().Name ?? "none", context.User.Identity?.IsAuthenticated == true,
                result?.AuthenticateResult?.Ticket?.AuthenticationScheme, context.User.FindFirst("client_id")?.Value));
        });
        next(app);
    };
}
