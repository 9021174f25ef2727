using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Ett.Sandbox;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>
/// The README's run command, as a newcomer gets it: the built gateway started as its own process in Development, with
/// no configuration but what ships, serving Swagger UI and the sandbox through itself.
/// </summary>
public sealed class EmbeddedSandboxTests : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("ett-gateway-embedded-").FullName;
    private Process _gateway = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var port = FreeLoopbackPort();
        var start = new ProcessStartInfo("dotnet", ["Ett.Gateway.dll", "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Operations__DataDirectory"] = _dataDirectory;
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("Ett__") || k.StartsWith("Callers__") || k.StartsWith("AzureAd__")).ToList())
            start.Environment.Remove(inherited);

        _gateway = Process.Start(start)!;
        var listening = new TaskCompletionSource();
        _gateway.OutputDataReceived += (_, line) => { if (line.Data?.Contains("Now listening on") == true) listening.TrySetResult(); };
        _gateway.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("The gateway exited during start-up."));
        _gateway.EnableRaisingEvents = true;
        _gateway.BeginOutputReadLine();
        _gateway.BeginErrorReadLine();
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(90));
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    [Fact]
    public async Task Run_command_serves_swagger_ui_and_the_sandbox_through_the_gateway_with_a_development_token()
    {
        var swagger = await _http.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, swagger.StatusCode);

        var tokenResponse = await _http.PostAsync("/sandbox/idp/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = SandboxSeed.CallerClientId,
            ["client_secret"] = SandboxSeed.CallerClientSecret,
        }));
        var token = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var consents = await _http.GetFromJsonAsync<JsonElement>("/ett/api/authorization/client/consents");
        var wallets = await _http.GetFromJsonAsync<JsonElement>($"/ett/wallet-api/wallets?organizationId={SandboxSeed.ProducerOrganizationId}");

        Assert.Contains(consents.GetProperty("result").EnumerateArray(), c => c.GetProperty("organizationId").GetGuid() == SandboxSeed.ProducerOrganizationId);
        Assert.Equal(SandboxSeed.WalletIdOf(SandboxSeed.ProducerOrganizationId), wallets.GetProperty("result")[0].GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task Anonymous_callers_are_refused_even_with_the_sandbox()
    {
        var response = await _http.GetAsync("/ett/api/authorization/client/consents");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    public Task DisposeAsync()
    {
        if (!_gateway.HasExited) _gateway.Kill(entireProcessTree: true);
        _gateway.WaitForExit();
        _gateway.Dispose();
        _http?.Dispose();
        Directory.Delete(_dataDirectory, recursive: true);
        return Task.CompletedTask;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public class SandboxRefusedInProductionTests
{
    [Fact]
    public void Sandbox_is_refused_in_the_production_environment()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder(new Microsoft.AspNetCore.Builder.WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration["Sandbox:Enabled"] = "true";

        var failure = Assert.Throws<InvalidOperationException>(() => Gateway.Sandbox.SandboxHosting.AddSandbox(builder));

        Assert.Contains("Production", failure.Message);
    }

    [Fact]
    public void Explicit_settings_win_over_the_sandbox_defaults()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder(new Microsoft.AspNetCore.Builder.WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration["Sandbox:Enabled"] = "true";
        builder.Configuration["urls"] = "http://+:5080";
        builder.Configuration["Ett:BaseUrl"] = "https://demo.energytrackandtrace.dk";

        Gateway.Sandbox.SandboxHosting.AddSandbox(builder);

        Assert.Equal("https://demo.energytrackandtrace.dk", builder.Configuration["Ett:BaseUrl"]);
        Assert.Equal("http://localhost:5080/sandbox/ett-token", builder.Configuration["Ett:TokenUrl"]);
        Assert.Equal("http://localhost:5080/sandbox/idp", builder.Configuration["Callers:Authority"]);
        Assert.Equal("data/sandbox", builder.Configuration["Operations:DataDirectory"]);
    }
}
