using System.Net;
using System.Text.Json;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>
/// ETT operations the sandbox does not simulate answer 501 "not simulated" — never 401, which would make a caller throw
/// away a good ETT token and fetch another. The gateway forwards none of them (every operation it forwards is simulated).
/// </summary>
public sealed class SandboxNotSimulatedTests : IAsyncLifetime
{
    private const string Producer = "organizationId=5a4d0000-0000-4000-8000-000000000002";
    private SandboxGateway _env = null!;

    public async Task InitializeAsync() => _env = await SandboxGateway.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    /// <summary>Hidden and inter-wallet operations: the gateway never forwards them, so only ETT's own callers meet the sandbox's 501.</summary>
    public static TheoryData<string, string> UnsimulatedAndNeverForwarded() => new()
    {
        { "GET", $"/ett/api/certificates/spreadsheet?{Producer}" },
        { "POST", "/ett/wallet-api/v1/slices" },
        { "GET", $"/ett/wallet-api/slices?{Producer}" },
        { "GET", $"/ett/api/claim-automation?{Producer}" },
        { "GET", $"/ett/api/authorization/client/{Ett.Sandbox.SandboxSeed.EttClientId}" },
        { "GET", $"/ett/api/transfer/transfer-agreements?{Producer}" },
    };

    [Theory]
    [MemberData(nameof(UnsimulatedAndNeverForwarded))]
    public async Task Unsimulated_operation_the_gateway_never_forwards_is_a_501_problem_at_the_sandbox(string method, string path)
    {
        using var ett = await _env.Sandbox.CreateEttClientAsync();
        var caller = await _env.CreateCallerAsync();

        using var direct = await ett.SendAsync(new HttpRequestMessage(new HttpMethod(method), path["/ett/".Length..]));
        using var proxied = await caller.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.NotImplemented, direct.StatusCode);
        var problem = JsonDocument.Parse(await direct.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("https://ett-sandbox.local/problems/not-simulated", problem.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.NotFound, proxied.StatusCode);
        Assert.Equal(1, _env.Sandbox.State.Requests.Count(r => r.Method == method && r.Path == "/sandbox/ett" + path[4..].Split('?')[0]));
    }

    [Fact]
    public async Task Mapped_ETT_path_with_an_unsimulated_method_is_ETTs_empty_405_not_501()
    {
        using var ett = await _env.Sandbox.CreateEttClientAsync();

        using var response = await ett.DeleteAsync($"wallet-api/transfers?{Producer}");

        Assert.Equal((HttpStatusCode.MethodNotAllowed, ""), (response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Simulated_operations_still_win_over_the_catch_all()
    {
        using var ett = await _env.Sandbox.CreateEttClientAsync();

        using var consents = await ett.GetAsync("api/authorization/client/consents");
        using var wallet = await ett.GetAsync($"wallet-api/wallets/{SandboxSeed.WalletIdOf(SandboxSeed.ProducerOrganizationId)}?{Producer}");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (consents.StatusCode, wallet.StatusCode));
    }
}
