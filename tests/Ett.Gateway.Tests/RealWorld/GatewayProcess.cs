using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Sandbox;
using Ett.Testing;

namespace Ett.Gateway.Tests.RealWorld;

/// <summary>
/// The built gateway (<c>Ett.Gateway.dll</c> beside the tests) as its own process on 127.0.0.1, in Development, exactly
/// as the README's run command starts it: with the embedded sandbox, or pointed at a standalone one
/// (<see cref="SandboxHostProcess"/>) by <c>Sandbox:Url</c> alone. Only the port, the journal's folder and the worker's
/// interval are chosen, through documented settings; <see cref="RestartAsync"/> kills it and starts it again on both.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly int _port;
    private readonly Dictionary<string, string> _environment;
    private readonly string _directory;
    private readonly Uri? _sandbox;
    private AppProcess _process;
    private string _earlierOutput = "";

    private GatewayProcess(int port, Dictionary<string, string> environment, string directory, Uri? sandbox, AppProcess process)
    {
        _port = port;
        _environment = environment;
        _directory = directory;
        _sandbox = sandbox;
        _process = process;
    }

    public Uri Address => _process.Address;

    /// <summary>The folder of this gateway's own: its journal, or (with a standalone sandbox) its content root.</summary>
    public string Directory => _directory;

    /// <summary>Where callers get their tokens: the standalone sandbox, else the gateway's embedded one.</summary>
    public Uri IdentityProvider => _sandbox ?? Address;

    /// <summary>Everything the process (and its earlier runs) wrote, for failure messages.</summary>
    public string Output => _earlierOutput + _process.Output;

    /// <summary>
    /// With the embedded sandbox (seeded anew, journal in a fresh folder), or with <paramref name="sandbox"/>: then only
    /// <c>Sandbox:Url</c> and a content root of its own are set, so the journal is the default one under that root.
    /// </summary>
    public static async Task<GatewayProcess> StartAsync(SandboxHostProcess? sandbox = null)
    {
        var port = LoopbackPort.Reserve();
        var directory = System.IO.Directory.CreateTempSubdirectory("ett-gateway-process-").FullName;
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Operations__WorkerInterval"] = "00:00:01",
        };
        if (sandbox is null)
        {
            environment["Operations__DataDirectory"] = directory;
        }
        else
        {
            environment["Sandbox__Url"] = sandbox.Address.AbsoluteUri;
            environment["ASPNETCORE_CONTENTROOT"] = directory;
        }

        try
        {
            return new GatewayProcess(port, environment, directory, sandbox?.Address, await AppProcess.StartAsync("Ett.Gateway.dll", environment, port));
        }
        catch
        {
            DeleteDirectory(directory);
            throw;
        }
    }

    /// <summary>Kills the gateway and starts it again on the same port, settings and journal.</summary>
    public async Task RestartAsync()
    {
        var output = _process.Output;
        await _process.DisposeAsync();
        _earlierOutput += output + "--- killed, restarting ---\n";
        _process = await AppProcess.StartAsync("Ett.Gateway.dll", _environment, _port);
    }

    /// <summary>An internal app: plain HttpClient with a token from the development identity provider.</summary>
    public async Task<HttpClient> CallerAsync(string clientId = SandboxSeed.CallerClientId)
    {
        using var idp = new HttpClient { BaseAddress = IdentityProvider };
        var response = await idp.PostAsync("/sandbox/idp/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = SandboxSeed.CallerClientSecret,
        }));
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        var http = new HttpClient { BaseAddress = Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>GETs <paramref name="path"/>, which must succeed, as JSON.</summary>
    public async Task<JsonElement> GetAsync(HttpClient app, string path)
    {
        var response = await app.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}\n{Output}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>POSTs an operation with <paramref name="idempotencyKey"/>; the answer, whatever it is.</summary>
    public static async Task<HttpResponseMessage> PostOperationAsync(HttpClient app, string path, object body, string idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await app.SendAsync(request);
    }

    /// <summary>POSTs an operation (202 + Location) and follows it until it ends; it must end completed.</summary>
    public async Task<(Uri Location, JsonElement Operation)> FollowAsync(HttpClient app, string path, object body, string idempotencyKey)
    {
        var accepted = await PostOperationAsync(app, path, body, idempotencyKey);
        Assert.True(HttpStatusCode.Accepted == accepted.StatusCode, $"POST {path}: {(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
        var location = accepted.Headers.Location ?? throw new InvalidOperationException($"POST {path}: 202 without Location");

        // The worker polls ETT every second (Operations:WorkerInterval); bounded in count, the process's real time.
        for (var attempt = 0; attempt < 120; attempt++)
        {
            var operation = await GetAsync(app, location.OriginalString);
            var status = operation.GetProperty("status").GetString();
            if (status is "completed") return (location, operation);
            Assert.True(status is "accepted" or "running", $"{location}: {operation}\n{Output}");
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
        throw new TimeoutException($"{location} did not complete within 60 s.");
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        DeleteDirectory(_directory);
    }

    private static void DeleteDirectory(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A journal file the killed process still held: the temp folder is cleaned by the OS.
        }
    }
}
