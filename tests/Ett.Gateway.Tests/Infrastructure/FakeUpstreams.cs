using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Gateway.Tests.Infrastructure;

/// <summary>
/// Everything outside the gateway, on a real loopback port: the callers' OIDC issuer (<c>/idp</c>), ETT's token
/// endpoint (<c>/token</c>) and ETT itself (<c>/ett/...</c>). Each records every request it receives.
/// </summary>
public sealed class FakeUpstreams : IAsyncDisposable
{
    public const string Audience = "api://ett-gateway";
    public const string EttClientId = "gateway-client";
    public const string EttClientSecret = "ett-client-secret-do-not-log-7f3a9c";

    private readonly WebApplication _app;
    private RsaSecurityKey _callerKey = new(RSA.Create(2048)) { KeyId = "caller-key" };
    private readonly SymmetricSecurityKey _ettKey = new(RandomNumberGenerator.GetBytes(32));
    private int _tokensIssued;

    public ConcurrentQueue<RecordedRequest> TokenRequests { get; } = new();
    public ConcurrentQueue<RecordedRequest> JwksRequests { get; } = new();

    /// <summary>The keys the callers' issuer publishes; the last one signs <see cref="CallerToken"/>s.</summary>
    public List<RsaSecurityKey> PublishedCallerKeys { get; } = [];
    public ConcurrentQueue<RecordedRequest> EttRequests { get; } = new();
    public ConcurrentQueue<string> IssuedEttTokens { get; } = new();

    /// <summary>What the next ETT token request gets; the default issues a JWT with <see cref="TokenOrganizations"/>.</summary>
    public Func<HttpContext, Task>? TokenBehaviour { get; set; }

    /// <summary>ETT's behaviour for <c>/ett/...</c>; the default answers consents from <see cref="Consents"/> and 200 <c>{}</c> otherwise.</summary>
    public Func<HttpContext, RecordedRequest, Task>? EttBehaviour { get; set; }

    public int TokenLifetimeSeconds { get; set; } = 3600;
    public Guid OwnOrganization { get; } = Guid.NewGuid();
    public List<Guid> TokenOrganizations { get; set; } = [];
    public List<Guid> Consents { get; set; } = [];

    /// <summary>Consents per ETT client id, where several clients are configured; others get <see cref="Consents"/>.</summary>
    public Dictionary<string, List<Guid>> ConsentsByClient { get; } = [];

    public Uri BaseAddress { get; private set; } = null!;
    public string Issuer => new Uri(BaseAddress, "idp").AbsoluteUri;

    private FakeUpstreams(WebApplication app)
    {
        _app = app;
        PublishedCallerKeys.Add(_callerKey);
    }

    /// <summary>The issuer rotates: it publishes a new key (keeping the old ones) and signs new tokens with it.</summary>
    public RsaSecurityKey RotateCallerKey(string keyId)
    {
        _callerKey = new RsaSecurityKey(RSA.Create(2048)) { KeyId = keyId };
        PublishedCallerKeys.Add(_callerKey);
        return _callerKey;
    }

    public static async Task<FakeUpstreams> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeUpstreams(app);
        fake.Map(app);
        await app.StartAsync();
        fake.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return fake;
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/idp/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["jwks_uri"] = new Uri(BaseAddress, "idp/jwks").AbsoluteUri,
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        app.MapGet("/idp/jwks", async context =>
        {
            JwksRequests.Enqueue(await RecordAsync(context, ""));
            await context.Response.WriteAsJsonAsync(new { keys = PublishedCallerKeys.ToArray().Select(Jwk) });
        });

        // Entra ID's shapes, reached through EntraLoopback: tenant discovery (v2.0) and the keys it points at.
        app.MapGet("/entra/{tenant}/v2.0/.well-known/openid-configuration", (string tenant) => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = $"{EntraInstance}{(Guid.TryParse(tenant, out _) ? tenant : "{tenantid}")}/v2.0",
            ["jwks_uri"] = $"{EntraInstance}{tenant}/discovery/v2.0/keys",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        app.MapGet("/entra/{tenant}/discovery/v2.0/keys", async context =>
        {
            JwksRequests.Enqueue(await RecordAsync(context, ""));
            await context.Response.WriteAsJsonAsync(new { keys = PublishedCallerKeys.ToArray().Select(Jwk) });
        });

        app.MapPost("/token", async context =>
        {
            TokenRequests.Enqueue(await RecordAsync(context, ""));
            await (TokenBehaviour ?? IssueEttTokenAsync)(context);
        });

        app.Map("/ett/{**path}", async context =>
        {
            var recorded = await RecordAsync(context, "/ett");
            EttRequests.Enqueue(recorded);
            if (EttBehaviour is { } behaviour) await behaviour(context, recorded);
            else await DefaultEttAsync(context, recorded);
        });
    }

    /// <summary>A key as a JWKS publishes it: public parts only.</summary>
    public static object Jwk(RsaSecurityKey key)
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(key.Rsa.ExportParameters(false)) { KeyId = key.KeyId });
        return new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E };
    }

    public async Task IssueEttTokenAsync(HttpContext context)
    {
        var number = Interlocked.Increment(ref _tokensIssued);
        var clientId = context.Request.HasFormContentType ? (await context.Request.ReadFormAsync())["client_id"].ToString() : EttClientId;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                ["sub"] = clientId,
                ["sub_type"] = "External",
                ["org_id"] = OwnOrganization.ToString(),
                ["org_ids"] = string.Join(' ', TokenOrganizations),
                ["token_number"] = number,
            },
            Expires = TestClock.Start.UtcDateTime.AddDays(1),
            SigningCredentials = new SigningCredentials(_ettKey, SecurityAlgorithms.HmacSha256),
        });
        IssuedEttTokens.Enqueue(token);
        await context.Response.WriteAsJsonAsync(new { access_token = token, token_type = "Bearer", expires_in = TokenLifetimeSeconds });
    }

    private Task DefaultEttAsync(HttpContext context, RecordedRequest request)
    {
        if (request.Path != "/api/authorization/client/consents") return context.Response.WriteAsJsonAsync(new { });
        var consents = ConsentsByClient.TryGetValue(ClientOf(request), out var listed) ? listed : Consents;
        return context.Response.WriteAsJsonAsync(new { result = consents.Select(id => new { organizationId = id, organizationName = $"Org {id:N}", tin = "12345678" }) });
    }

    /// <summary>The ETT client id (<c>sub</c>) of the token a request carried.</summary>
    public static string ClientOf(RecordedRequest request)
    {
        var bearer = request.HeaderValues("Authorization").SingleOrDefault()?["Bearer ".Length..];
        return bearer is null ? "" : new JsonWebTokenHandler().ReadJsonWebToken(bearer).Subject;
    }

    /// <summary>A caller token from the fake issuer; every argument can be made wrong on purpose.</summary>
    public string CallerToken(
        string[]? roles = null, string? audience = null, string? issuer = null, DateTime? expires = null,
        string clientId = "internal-app", SecurityKey? signingKey = null, IReadOnlyDictionary<string, object>? claims = null)
    {
        var now = TestClock.Start.UtcDateTime;
        var exp = expires ?? now.AddDays(1);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience ?? Audience,
            IssuedAt = exp < now ? exp.AddHours(-1) : now,
            NotBefore = exp < now ? exp.AddHours(-1) : now,
            Expires = exp,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = clientId,
                ["client_id"] = clientId,
                ["roles"] = roles ?? ["Ett.Read", "Ett.Write"],
            }.Concat(claims ?? new Dictionary<string, object>()).ToDictionary(),
            SigningCredentials = new SigningCredentials(signingKey ?? _callerKey, SecurityAlgorithms.RsaSha256),
        });
    }

    public const string EntraInstance = "https://login.microsoftonline.com/";

    /// <summary>
    /// An Entra ID app-only access token as Entra shapes it: v1.0 (<c>iss</c> https://sts.windows.net/{tid}/, <c>appid</c>)
    /// or v2.0 (<c>iss</c> {instance}{tid}/v2.0, <c>azp</c>), with <c>ver</c>, <c>tid</c>, <c>oid</c> and app roles.
    /// </summary>
    public string EntraToken(
        string version, Guid tenant, string audience, string appId, string[]? roles = null, DateTime? expires = null, string? issuer = null)
    {
        var now = TestClock.Start.UtcDateTime;
        var exp = expires ?? now.AddHours(1);
        var objectId = Guid.NewGuid().ToString();
        var claims = new Dictionary<string, object>
        {
            ["ver"] = version,
            ["tid"] = tenant.ToString(),
            ["oid"] = objectId,
            ["sub"] = objectId,
            ["idtyp"] = "app",
            ["roles"] = roles ?? ["Ett.Read", "Ett.Write"],
        };
        if (version == "1.0")
        {
            claims["appid"] = appId;
            claims["appidacr"] = "1";
        }
        else
        {
            claims["azp"] = appId;
            claims["azpacr"] = "1";
        }
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? (version == "1.0" ? $"https://sts.windows.net/{tenant}/" : $"{EntraInstance}{tenant}/v2.0"),
            Audience = audience,
            IssuedAt = exp.AddHours(-1),
            NotBefore = exp.AddHours(-1),
            Expires = exp,
            Claims = claims,
            SigningCredentials = new SigningCredentials(_callerKey, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>Sends the gateway's requests for Entra ID's https login host to this fake instead.</summary>
    public HttpMessageHandler EntraLoopback() => new EntraLoopbackHandler(new Uri(BaseAddress, "entra/"));

    private sealed class EntraLoopbackHandler(Uri fake) : DelegatingHandler(new HttpClientHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var url = request.RequestUri!.AbsoluteUri;
            if (!url.StartsWith(EntraInstance, StringComparison.Ordinal))
                throw new InvalidOperationException($"Unexpected call from the gateway's Entra ID backchannel: {url}");
            request.RequestUri = new Uri(fake, url[EntraInstance.Length..]);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A token signed by a key the issuer never published, under the published key's id.</summary>
    public string CallerTokenWithForeignSignature() =>
        CallerToken(signingKey: new RsaSecurityKey(RSA.Create(2048)) { KeyId = _callerKey.KeyId });

    /// <summary>An unsigned token (<c>alg: none</c>) with otherwise valid claims.</summary>
    public string CallerTokenWithoutSignature()
    {
        var now = TestClock.Start;
        static string Encode(object value) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(value));
        return Encode(new { alg = "none", typ = "JWT" }) + "." + Encode(new Dictionary<string, object>
        {
            ["iss"] = Issuer, ["aud"] = Audience, ["sub"] = "internal-app", ["client_id"] = "internal-app",
            ["roles"] = new[] { "Ett.Read", "Ett.Write" },
            ["iat"] = now.ToUnixTimeSeconds(), ["nbf"] = now.ToUnixTimeSeconds(), ["exp"] = now.AddDays(1).ToUnixTimeSeconds(),
        }) + ".";
    }

    private static async Task<RecordedRequest> RecordAsync(HttpContext context, string prefix)
    {
        using var body = new MemoryStream();
        context.Request.EnableBuffering();
        await context.Request.Body.CopyToAsync(body);
        context.Request.Body.Position = 0;
        var path = context.Request.Path.Value ?? "";
        return new RecordedRequest(
            context.Request.Method,
            path.StartsWith(prefix, StringComparison.Ordinal) ? path[prefix.Length..] : path,
            context.Request.QueryString.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.Select(v => v ?? "").ToArray(), StringComparer.OrdinalIgnoreCase),
            body.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
