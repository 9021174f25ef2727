using System.Net;
using Ett.Sandbox;

namespace Ett.Gateway.Tests.RealWorld;

/// <summary>
/// The standalone sandbox as the README starts it (<c>dotnet run --project src/Ett.Sandbox.Host</c>) and a gateway
/// pointed at it by <c>Sandbox:Url</c> alone, both their own processes on 127.0.0.1: the README's transfer flow, then a
/// killed and restarted gateway that finds its operation, replays its key without a new ETT call, and a sandbox whose
/// ledger did not change. Real processes, real clock: never on TestClock.
/// </summary>
[Trait("Category", "RealWorld")]
public sealed class StandaloneSandboxEndToEndTests : IAsyncLifetime
{
    private static readonly Guid Producer = SandboxSeed.ProducerOrganizationId;
    private static readonly Guid Consumer = SandboxSeed.ConsumerOrganizationId;
    private const string TransferPath = "/sandbox/ett/wallet-api/transfers";
    private SandboxHostProcess _sandbox = null!;
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await SandboxHostProcess.StartAsync();
        _gateway = await GatewayProcess.StartAsync(_sandbox);
    }

    [RealWorldFact(RealWorldTool.DotnetOnly)]
    public async Task The_readme_transfer_its_replay_and_the_sandbox_ledger_survive_a_gateway_restart()
    {
        var app = await _gateway.CallerAsync();
        var consumerBefore = await AvailableProductionWhAsync(app, Consumer);
        var transfer = new { partnerOrganizationId = Consumer, quantityWh = 500_000 };
        var (location, completed) = await _gateway.FollowAsync(app, $"/organizations/{Producer}/transfers", transfer, "demo-1");
        Assert.Equal(500_000, completed.GetProperty("completedWh").GetInt64());
        var firstAnswer = await GatewayProcess.PostOperationAsync(app, $"/organizations/{Producer}/transfers", transfer, "demo-1");
        var firstBody = await firstAnswer.Content.ReadAsStringAsync();
        var posts = await EttTransferPostsAsync();
        Assert.NotEqual(0, posts);
        var producerLedger = await _sandbox.LedgerAsync(Producer);
        var consumerLedger = await _sandbox.LedgerAsync(Consumer);
        Assert.Equal(consumerBefore + 500_000, await AvailableProductionWhAsync(app, Consumer));

        // The documented default journal, under the gateway's content root; a restart must not wipe it.
        var journal = Path.Combine(_gateway.Directory, "data", "standalone-sandbox", "operations.db");
        Assert.True(File.Exists(journal), journal);

        await _gateway.RestartAsync();
        app.Dispose();
        app = await _gateway.CallerAsync();

        var operation = await _gateway.GetAsync(app, location.OriginalString);
        Assert.Equal(completed.GetRawText(), operation.GetRawText());
        var replay = await GatewayProcess.PostOperationAsync(app, $"/organizations/{Producer}/transfers", transfer, "demo-1");
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal(location, replay.Headers.Location);
        Assert.Equal(firstBody, await replay.Content.ReadAsStringAsync());
        Assert.Equal(posts, await EttTransferPostsAsync());
        Assert.Equal(producerLedger, await _sandbox.LedgerAsync(Producer));
        Assert.Equal(consumerLedger, await _sandbox.LedgerAsync(Consumer));
        Assert.Equal(consumerBefore + 500_000, await AvailableProductionWhAsync(app, Consumer));
        app.Dispose();
    }

    private async Task<long> AvailableProductionWhAsync(HttpClient app, Guid organizationId) =>
        (await _gateway.GetAsync(app, $"/organizations/{organizationId}/wallet")).GetProperty("availableProductionWh").GetInt64();

    private async Task<int> EttTransferPostsAsync() =>
        (await _sandbox.RequestsAsync()).Count(r => r.Method == "POST" && r.Path == TransferPath);

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _sandbox.DisposeAsync();
    }
}
