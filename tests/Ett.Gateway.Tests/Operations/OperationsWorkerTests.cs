using System.Net;
using Ett.Gateway.Operations;
using Ett.Gateway.Operations.Store;
using Ett.Sandbox;
using Ett.Sandbox.Faults;
using Microsoft.Extensions.DependencyInjection;
using static Ett.Gateway.Tests.Operations.OperationsSandbox;

namespace Ett.Gateway.Tests.Operations;

public sealed class OperationsWorkerTests : IAsyncLifetime
{
    private static readonly string Transfers = $"/organizations/{Producer}/transfers";

    private OperationsSandbox env = null!;

    public async Task InitializeAsync() => env = await OperationsSandbox.StartAsync(new Dictionary<string, string?> { ["Operations:WorkerBatchSize"] = "2" });

    public async Task DisposeAsync() => await env.DisposeAsync();

    private object ThreeLegTransfer() => new
    {
        partnerOrganizationId = Trader,
        quantityWh = env.AvailableProduction(Producer, "DK1").Take(2).Sum(c => c.AvailableWh) + 1,
        gridArea = "DK1",
    };

    [Fact]
    public async Task Worker_alone_finishes_an_operation_whose_instance_died_and_whose_caller_never_retried()
    {
        var body = ThreeLegTransfer();
        var producerBefore = env.Ett.AvailableWh(Producer, SandboxCertificateType.Production);
        var doomed = env.StartGateway(services => services.AddSingleton<IOperationStore>(provider =>
            new CrashingJournal(provider.GetRequiredService<SqlOperationsStore>()) { AfterIntentOfLeg = 1 }));
        await (await env.CallerAsync(doomed)).SendAsync(Post(Transfers, body, "abandoned"));
        await env.StopAsync(doomed);
        env.StartGateway();
        var caller = await env.CallerAsync();

        env.Time.Advance(TimeSpan.FromMinutes(6));
        await env.SettleAsync();
        await env.SettleAsync();

        var operation = (await JsonOf(await caller.GetAsync($"/organizations/{Producer}/operations"))).GetProperty("items")[0];
        Assert.Equal("completed", operation.GetProperty("status").GetString());
        Assert.Equal(3, env.EttPosts("transfers").Count);
        Assert.Equal(producerBefore - operation.GetProperty("requestedWh").GetInt64(), env.Ett.AvailableWh(Producer, SandboxCertificateType.Production));

        // The worker completed the dead request's key: the retry replays its 202.
        var retry = await caller.SendAsync(Post(Transfers, body, "abandoned"));
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(operation.GetProperty("operationId").GetGuid(), (await JsonOf(retry)).GetProperty("operationId").GetGuid());
        Assert.Equal(3, env.EttPosts("transfers").Count);
    }

    [Fact]
    public async Task Polling_is_bounded_by_the_batch_size_least_recently_checked_first()
    {
        env.StartGateway();
        var caller = await env.CallerAsync();
        var operationId = (await JsonOf(await caller.SendAsync(Post(Transfers, ThreeLegTransfer(), "bounded")))).GetProperty("operationId").GetGuid();
        await env.Ett.WhenIdleAsync();
        env.Ett.ClearRequests();

        await env.RunWorkerAsync();
        var firstRound = env.Ett.Requests.Count(r => r.Path.Contains("/request-status/", StringComparison.Ordinal));
        var afterOne = await env.GetOperationAsync(caller, operationId);
        await env.RunWorkerAsync();

        Assert.Equal(2, firstRound);
        Assert.Equal(2, afterOne.GetProperty("legs").EnumerateArray().Count(l => l.GetProperty("status").GetString() == "completed"));
        Assert.Equal("completed", (await env.GetOperationAsync(caller, operationId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_full_batch_of_polls_that_finished_legs_asks_for_another_iteration_at_once_and_the_last_batch_does_not()
    {
        env.StartGateway();
        var caller = await env.CallerAsync();
        var operationId = (await JsonOf(await caller.SendAsync(Post(Transfers, ThreeLegTransfer(), "keeping-up")))).GetProperty("operationId").GetGuid();
        await env.Ett.WhenIdleAsync();
        var worker = env.Gateway.Services.GetRequiredService<OperationsWorker>();

        Assert.True(await worker.RunOnceAsync());
        Assert.False(await worker.RunOnceAsync());
        Assert.Equal("completed", (await env.GetOperationAsync(caller, operationId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_full_batch_of_polls_ETT_cannot_answer_waits_for_the_next_tick_instead_of_polling_in_a_loop()
    {
        env.StartGateway();
        var caller = await env.CallerAsync();
        await caller.SendAsync(Post(Transfers, ThreeLegTransfer(), "ett-down"));
        await env.Ett.WhenIdleAsync();
        env.Sandbox.Faults.Add(new SandboxFault { Kind = SandboxFaultKind.Status, Status = 503, Method = "GET", Path = "*/wallet-api/request-status/*" });
        var worker = env.Gateway.Services.GetRequiredService<OperationsWorker>();

        Assert.False(await worker.RunOnceAsync());
        Assert.NotEmpty(env.Sandbox.Faults.Applied);
    }

    [Fact]
    public async Task Expired_keys_are_purged_so_the_key_can_be_used_again_after_the_retention()
    {
        env.StartGateway();
        var caller = await env.CallerAsync();
        await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 1000 }, "old-key"));
        await env.SettleAsync();

        env.Time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        await env.RunWorkerAsync();
        caller = await env.CallerAsync(); // the first caller token expired with the day
        var reused = await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 2000 }, "old-key"));

        Assert.Equal(HttpStatusCode.Accepted, reused.StatusCode);
        Assert.Equal(2, env.EttPosts("transfers").Count);
    }
}
