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
    public async Task Polls_run_WorkerConcurrency_at_a_time_so_a_batch_waits_for_ETT_in_parallel()
    {
        await using var parallel = await OperationsSandbox.StartAsync(new Dictionary<string, string?> { ["Operations:WorkerConcurrency"] = "3" });
        var polls = new ConcurrentStatusPolls(holdUntil: 3);
        parallel.StartGateway(services => services.AddHttpClient(Ett.Gateway.Upstream.EttRequest.HttpClientName).AddHttpMessageHandler(() => polls));
        var caller = await parallel.CallerAsync();
        // Five 1-Wh transfers: each goes to a certificate no open leg touches, so five legs are submitted at once.
        var operations = new List<Guid>();
        for (var i = 0; i < 5; i++)
            operations.Add((await JsonOf(await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 1 }, $"parallel-{i}")))).GetProperty("operationId").GetGuid());
        await parallel.Ett.WhenIdleAsync();

        polls.Armed = true;
        await parallel.RunWorkerAsync();

        // The first three polls were all in flight together (each was held until the third arrived), and never more.
        Assert.Equal(3, polls.MaxInFlight);
        Assert.Equal(5, polls.Polled);
        foreach (var operationId in operations)
            Assert.Equal("completed", (await parallel.GetOperationAsync(caller, operationId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Queued_legs_of_one_certificate_are_sent_one_at_a_time_oldest_first_while_other_certificates_move_beside_them()
    {
        await using var queued = await OperationsSandbox.StartAsync();
        queued.StartGateway();
        var caller = await queued.CallerAsync();
        var (first, second) = (queued.AvailableProduction(Producer, "DK1")[0], queued.AvailableProduction(Producer, "DK1")[1]);
        object From(SandboxCertificate certificate, long quantityWh) => new
        {
            partnerOrganizationId = Trader, quantityWh, gridArea = "DK1",
            certificateIds = new[] { new { registry = certificate.Registry, streamId = certificate.StreamId } },
        };
        // Three transfers from the first certificate and two from the second, each with its own quantity to tell them
        // apart at ETT: one leg per certificate goes out at once, the others wait in the journal.
        long[] fromFirst = [101, 102, 103], fromSecond = [201, 202];
        foreach (var (certificate, quantities) in new[] { (first, fromFirst), (second, fromSecond) })
        {
            foreach (var quantity in quantities)
            {
                Assert.Equal(HttpStatusCode.Accepted, (await caller.SendAsync(Post(Transfers, From(certificate, quantity), $"queued-{quantity}"))).StatusCode);
                queued.Time.Advance(TimeSpan.FromMilliseconds(1)); // the journal orders by when a leg was planned
            }
        }
        Assert.Equal([101L, 201L], PostedQuantities(queued));

        var rounds = new List<long[]>();
        for (var round = 0; round < 3; round++)
        {
            var before = queued.EttPosts("transfers").Count;
            await queued.SettleAsync();
            rounds.Add([.. PostedQuantities(queued).Skip(before).Order()]);
        }

        // Each iteration finished the legs ETT completed and sent each certificate's next leg, in the order accepted.
        Assert.Equal([[102L, 202L], [103L], []], rounds);
        Assert.All(queued.Ett.Ledger(Producer)!.Requests.Where(r => r.Kind == "transfer"), request => Assert.Equal("completed", request.Status));
        var operations = (await JsonOf(await caller.GetAsync($"/organizations/{Producer}/operations"))).GetProperty("items");
        Assert.All(operations.EnumerateArray(), operation => Assert.Equal("completed", operation.GetProperty("status").GetString()));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void WorkerConcurrency_is_between_1_and_64(int concurrency, bool valid)
    {
        var result = new OperationsOptionsValidator().Validate(null, new OperationsOptions { WorkerConcurrency = concurrency });

        Assert.Equal(valid, result.Succeeded);
        if (!valid) Assert.Contains("Operations:WorkerConcurrency", result.FailureMessage);
    }

    public static TheoryData<string?, bool, bool, string?> FollowUps => new()
    {
        // Nothing ETT still works on: the whole interval (null), whatever came before.
        { null, false, false, null },
        { "00:00:30", false, true, null },
        // Legs pending: an eighth of the interval, then doubling while nothing finishes, never beyond the interval.
        { null, true, false, "00:00:30" },
        { "00:00:30", true, false, "00:01:00" },
        { "00:01:00", true, false, "00:02:00" },
        { "00:02:00", true, false, "00:04:00" },
        { "00:03:00", true, false, "00:04:00" },
        { "00:04:00", true, false, "00:04:00" },
        // ETT finishes legs while others are pending (a queue moving): back to an eighth.
        { "00:02:00", true, true, "00:00:30" },
        { null, true, true, "00:00:30" },
    };

    [Theory]
    [MemberData(nameof(FollowUps))]
    public void Legs_ETT_still_works_on_are_polled_again_sooner_backing_off_to_the_interval_while_nothing_finishes(
        string? previous, bool pending, bool finished, string? expected)
    {
        var interval = TimeSpan.FromMinutes(4);
        var next = OperationsWorker.NextFollowUp(previous is null ? null : TimeSpan.Parse(previous),
            new OperationsWorker.Iteration(More: false, Pending: pending, Finished: finished), interval);
        Assert.Equal(expected is null ? null : TimeSpan.Parse(expected), next);
    }

    [Fact]
    public async Task An_iteration_reports_legs_ETT_still_works_on_but_not_legs_ETT_could_not_answer_for()
    {
        env.StartGateway();
        var caller = await env.CallerAsync();
        var worker = env.Gateway.Services.GetRequiredService<OperationsWorker>();
        OperationsWorker.Iteration working, down, finished;
        using (env.Ett.PauseProcessing())
        {
            await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 1 }, "pending"));
            working = await worker.IterateAsync();
            // Down for every attempt the resilience pipeline makes.
            var outage = env.Sandbox.Faults.Add(new SandboxFault { Kind = SandboxFaultKind.Status, Status = 503, Method = "GET", Path = "*/wallet-api/request-status/*" });
            down = await worker.IterateAsync();
            env.Sandbox.Faults.Remove(outage);
        }
        await env.Ett.WhenIdleAsync();
        finished = await worker.IterateAsync();

        Assert.Equal(new OperationsWorker.Iteration(More: false, Pending: true, Finished: false), working);
        Assert.Equal(new OperationsWorker.Iteration(More: false, Pending: false, Finished: false), down);
        Assert.NotEmpty(env.Sandbox.Faults.Applied);
        Assert.Equal(new OperationsWorker.Iteration(More: false, Pending: false, Finished: true), finished);
        var operation = (await JsonOf(await caller.GetAsync($"/organizations/{Producer}/operations"))).GetProperty("items")[0];
        Assert.Equal("completed", operation.GetProperty("status").GetString());
    }

    private static IEnumerable<long> PostedQuantities(OperationsSandbox sandbox) =>
        sandbox.EttPosts("transfers").Select(p => System.Text.Json.JsonDocument.Parse(p.Body!).RootElement.GetProperty("quantity").GetInt64());

    /// <summary>
    /// Counts request-status polls in flight; once armed, holds each until <paramref name="holdUntil"/> are in flight
    /// together (bounded, so a worker polling one at a time fails the test instead of hanging it).
    /// </summary>
    private sealed class ConcurrentStatusPolls(int holdUntil) : DelegatingHandler
    {
        private readonly TaskCompletionSource together = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int inFlight;
        private int maxInFlight;
        private int polled;

        public volatile bool Armed;

        public int MaxInFlight => Volatile.Read(ref maxInFlight);

        public int Polled => Volatile.Read(ref polled);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (!Armed || !request.RequestUri!.AbsolutePath.Contains("/wallet-api/request-status/", StringComparison.Ordinal))
                return await base.SendAsync(request, cancellationToken);
            Interlocked.Increment(ref polled);
            var now = Interlocked.Increment(ref inFlight);
            for (var seen = MaxInFlight; now > seen; seen = MaxInFlight) Interlocked.CompareExchange(ref maxInFlight, now, seen);
            try
            {
                if (now >= holdUntil) together.TrySetResult();
                await together.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
                return await base.SendAsync(request, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        }
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
