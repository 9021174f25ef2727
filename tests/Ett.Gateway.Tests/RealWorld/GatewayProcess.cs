using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ett.Sandbox;

namespace Ett.Gateway.Tests.RealWorld;

/// <summary>
/// The built gateway (<c>Ett.Gateway.dll</c> beside the tests) as its own process on 127.0.0.1, in Development with the
/// embedded sandbox, exactly as the README's run command starts it; only the port, the journal folder and the
/// worker's interval are chosen, through documented settings.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;
    private readonly string _dataDirectory;

    private GatewayProcess(Process process, StringBuilder output, string dataDirectory, Uri address)
    {
        _process = process;
        _output = output;
        _dataDirectory = dataDirectory;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Everything the process wrote, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static async Task<GatewayProcess> StartAsync()
    {
        var port = CertifiedOidcProvider.FreeLoopbackPort();
        var dataDirectory = Directory.CreateTempSubdirectory("ett-gateway-process-").FullName;
        var start = new ProcessStartInfo("dotnet", ["Ett.Gateway.dll"])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("Ett__") || k.StartsWith("Callers__") || k.StartsWith("AzureAd__") || k.StartsWith("ASPNETCORE_")).ToList())
            start.Environment.Remove(inherited);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["Operations__DataDirectory"] = dataDirectory;
        start.Environment["Operations__WorkerInterval"] = "00:00:01";

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet Ett.Gateway.dll did not start.");
        var output = new StringBuilder();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Record(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            if (line.Contains("Now listening on", StringComparison.Ordinal)) listening.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"The gateway exited during start-up:\n{output}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var gateway = new GatewayProcess(process, output, dataDirectory, new Uri($"http://127.0.0.1:{port}"));
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
        return gateway;
    }

    /// <summary>An internal app: plain HttpClient with a token from the development identity provider.</summary>
    public async Task<HttpClient> CallerAsync(string clientId = SandboxSeed.CallerClientId)
    {
        var http = new HttpClient { BaseAddress = Address };
        var response = await http.PostAsync("/sandbox/idp/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = SandboxSeed.CallerClientSecret,
        }));
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A journal file the killed process still held: the temp folder is cleaned by the OS.
        }
    }
}
