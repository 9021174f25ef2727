using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Ett.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Gateway.Tests.RealWorld;

/// <summary>A client of <see cref="CertifiedOidcProvider"/>: client credentials, the audience of its tokens, its roles or scopes.</summary>
public sealed record OidcClient(string ClientId, string ClientSecret, string Resource, string[]? Roles = null, string? Scope = null,
    string AuthMethod = "client_secret_post");

/// <summary>A named RSA signing key of the provider.</summary>
public sealed class OidcSigningKey(string kid)
{
    private readonly RSA _rsa = RSA.Create(2048);

    public string Kid { get; } = kid;

    public Dictionary<string, string> PrivateJwk()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_rsa.ExportParameters(includePrivateParameters: true)) { KeyId = Kid });
        return new()
        {
            ["kty"] = "RSA", ["kid"] = Kid, ["use"] = "sig", ["alg"] = "RS256",
            ["n"] = jwk.N, ["e"] = jwk.E, ["d"] = jwk.D, ["p"] = jwk.P, ["q"] = jwk.Q, ["dp"] = jwk.DP, ["dq"] = jwk.DQ, ["qi"] = jwk.QI,
        };
    }
}

/// <summary>
/// npm's oidc-provider (an OpenID Certified implementation) run by <c>tests/node/oidc-provider.mjs</c> on a fixed
/// loopback port, so it can be stopped and started again with other keys while the gateway keeps running.
/// </summary>
public sealed class CertifiedOidcProvider : IAsyncDisposable
{
    private readonly IReadOnlyList<OidcClient> _clients;
    private readonly string _configFile = Path.GetTempFileName();
    private Process? _process;

    private CertifiedOidcProvider(int port, IReadOnlyList<OidcClient> clients)
    {
        Port = port;
        _clients = clients;
    }

    public int Port { get; }

    /// <summary>The issuer, as the gateway's <c>Callers:Authority</c>.</summary>
    public string Issuer => $"http://127.0.0.1:{Port}";

    public Uri TokenEndpoint => new($"{Issuer}/token");

    /// <summary>A provider on a free port, not started yet (so a gateway can be pointed at it while it is down).</summary>
    public static CertifiedOidcProvider Create(params OidcClient[] clients) => new(LoopbackPort.Reserve(), clients);

    /// <summary>Starts (or restarts) the provider publishing <paramref name="keys"/>; the first signs new tokens.</summary>
    public async Task StartAsync(int tokenLifetimeSeconds, params OidcSigningKey[] keys)
    {
        await StopAsync();
        await File.WriteAllTextAsync(_configFile, JsonSerializer.Serialize(new
        {
            port = Port,
            tokenLifetimeSeconds,
            keys = keys.Select(k => k.PrivateJwk()),
            clients = _clients.Select(c => new { clientId = c.ClientId, clientSecret = c.ClientSecret, resource = c.Resource, roles = c.Roles, scope = c.Scope, authMethod = c.AuthMethod }),
        }, JsonSerializerOptions.Web));

        var process = NodeTools.StartNode("oidc-provider.mjs", _configFile);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, line) => { if (line.Data?.StartsWith("listening ", StringComparison.Ordinal) == true) listening.TrySetResult(); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) lock (errors) errors.AppendLine(line.Data); };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"oidc-provider exited during start-up:\n{errors}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>The provider down: its process ends and its port refuses connections.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process) return;
        _process = null;
        if (!process.HasExited)
        {
            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        process.Dispose();
    }

    /// <summary>A client-credentials token for <paramref name="client"/> (scope only if given).</summary>
    public async Task<string> TokenAsync(OidcClient client, string? scope = null)
    {
        using var http = new HttpClient();
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.ClientSecret,
        };
        if (scope is not null) form["scope"] = scope;
        var response = await http.PostAsync(TokenEndpoint, new FormUrlEncodedContent(form));
        Assert.True(response.IsSuccessStatusCode, $"oidc-provider refused a token for {client.ClientId}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        File.Delete(_configFile);
    }
}
