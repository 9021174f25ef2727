using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Sandbox;
using Ett.Testing;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>
/// The README's run command, as a newcomer gets it: the built gateway started as its own process in Development, with
/// no configuration but what ships, serving Swagger UI and the sandbox through itself.
/// </summary>
public sealed class EmbeddedSandboxTests : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("ett-gateway-embedded-").FullName;
    private AppProcess _gateway = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _gateway = await AppProcess.StartAsync("Ett.Gateway.dll", new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Operations__DataDirectory"] = _dataDirectory,
        });
        _http = new HttpClient { BaseAddress = _gateway.Address };
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

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        _http?.Dispose();
        Directory.Delete(_dataDirectory, recursive: true);
    }
}
