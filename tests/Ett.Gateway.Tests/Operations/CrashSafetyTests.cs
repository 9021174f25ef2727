using System.Net;
using Ett.Gateway.Operations.Store;
using Ett.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using static Ett.Gateway.Tests.Operations.OperationsSandbox;

namespace Ett.Gateway.Tests.Operations;

/// <summary>
/// A gateway instance dies at a chosen step; a new instance on the same store and ETT takes the caller's retry with
/// the same key. Nothing may be transferred twice and nothing may be lost: the ledger must match the operation.
/// </summary>
public sealed class CrashSafetyTests : IAsyncLifetime
{
    private static readonly TimeSpan PastLease = TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PastReconcileGrace = TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1);
    private static readonly string Transfers = $"/organizations/{Producer}/transfers";

    private OperationsSandbox env = null!;
    private long quantity;
    private object body = null!;
    private long producerBefore;
    private long traderBefore;

    public async Task InitializeAsync()
    {
        env = await OperationsSandbox.StartAsync();
        quantity = env.AvailableProduction(Producer, "DK1")[0].AvailableWh + 1;
        body = new { partnerOrganizationId = Trader, quantityWh = quantity, gridArea = "DK1" };
        producerBefore = env.Ett.AvailableWh(Producer, SandboxCertificateType.Production);
        traderBefore = env.Ett.AvailableWh(Trader, SandboxCertificateType.Production);
    }

    public async Task DisposeAsync() => await env.DisposeAsync();

    private async Task CrashingAttemptAsync(Action<IServiceCollection> crash)
    {
        var doomed = env.StartGateway(crash);
        var response = await (await env.CallerAsync(doomed)).SendAsync(Post(Transfers, body, "crash-key"));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        await env.StopAsync(doomed);
    }

    private static Action<IServiceCollection> Journal(Func<IOperationStore, CrashingJournal> crashing) =>
        services => services.AddSingleton<IOperationStore>(provider => crashing(provider.GetRequiredService<SqlOperationsStore>()));

    /// <summary>The restarted instance takes the retry once the dead attempt's lease ran out.</summary>
    private async Task<(HttpClient Caller, HttpResponseMessage Response)> RetryOnRestartAsync()
    {
        env.StartGateway();
        var caller = await env.CallerAsync();
        env.Time.Advance(PastLease);
        return (caller, await caller.SendAsync(Post(Transfers, body, "crash-key")));
    }

    private async Task AssertLedgerMatchesAsync(HttpClient caller, Guid operationId)
    {
        var operation = await env.GetOperationAsync(caller, operationId);
        Assert.Equal("completed", operation.GetProperty("status").GetString());
        Assert.Equal(quantity, operation.GetProperty("completedWh").GetInt64());
        Assert.Equal(producerBefore - quantity, env.Ett.AvailableWh(Producer, SandboxCertificateType.Production));
        Assert.Equal(traderBefore + quantity, env.Ett.AvailableWh(Trader, SandboxCertificateType.Production));
    }

    [Fact]
    public async Task Crash_after_intent_recorded_before_the_post_loses_nothing_and_sends_the_leg_once()
    {
        await CrashingAttemptAsync(Journal(inner => new CrashingJournal(inner) { AfterIntentOfLeg = 1 }));
        Assert.Single(env.EttPosts("transfers"));

        var (caller, retry) = await RetryOnRestartAsync();

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var operation = await JsonOf(retry);
        // The first leg reached ETT (the restarted worker may already have seen it complete); the second's fate is unknown.
        Assert.Equal("unknown", operation.GetProperty("legs")[1].GetProperty("status").GetString());
        Assert.Single(env.EttPosts("transfers"));

        // Within the grace period ETT's lists are not trusted yet (ETT may still be processing): the leg waits.
        await env.SettleAsync();
        Assert.Equal("unknown", (await env.GetOperationAsync(caller, operation.GetProperty("operationId").GetGuid())).GetProperty("legs")[1].GetProperty("status").GetString());
        Assert.Single(env.EttPosts("transfers"));

        env.Time.Advance(PastReconcileGrace);
        await env.SettleAsync();
        await env.SettleAsync();

        Assert.Equal(2, env.EttPosts("transfers").Count);
        await AssertLedgerMatchesAsync(caller, operation.GetProperty("operationId").GetGuid());
    }

    [Fact]
    public async Task Crash_after_ett_accepted_before_the_request_id_was_stored_never_resends()
    {
        await CrashingAttemptAsync(Journal(inner => new CrashingJournal(inner) { BeforeSubmittedOfLeg = 1 }));
        Assert.Equal(2, env.EttPosts("transfers").Count);

        var (caller, retry) = await RetryOnRestartAsync();

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var operation = await JsonOf(retry);
        // The first leg reached ETT (the restarted worker may already have seen it complete); the second's fate is unknown.
        Assert.Equal("unknown", operation.GetProperty("legs")[1].GetProperty("status").GetString());

        env.Time.Advance(PastReconcileGrace);
        await env.SettleAsync();

        Assert.Equal(2, env.EttPosts("transfers").Count);
        await AssertLedgerMatchesAsync(caller, operation.GetProperty("operationId").GetGuid());
    }

    [Fact]
    public async Task Crash_after_ett_accepted_every_leg_before_the_response_was_stored_resumes_without_resending()
    {
        await CrashingAttemptAsync(services => services.AddSingleton<IIdempotencyStore>(provider => new CrashingKeys(provider.GetRequiredService<SqlOperationsStore>())));
        Assert.Equal(2, env.EttPosts("transfers").Count);

        var (caller, retry) = await RetryOnRestartAsync();
        var replay = await caller.SendAsync(Post(Transfers, body, "crash-key"));

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(await retry.Content.ReadAsByteArrayAsync(), await replay.Content.ReadAsByteArrayAsync());
        await env.SettleAsync();
        Assert.Equal(2, env.EttPosts("transfers").Count);
        await AssertLedgerMatchesAsync(caller, (await JsonOf(retry)).GetProperty("operationId").GetGuid());
    }

    [Fact]
    public async Task Retry_while_the_dead_attempt_still_holds_its_lease_is_409()
    {
        await CrashingAttemptAsync(Journal(inner => new CrashingJournal(inner) { AfterIntentOfLeg = 0 }));
        env.StartGateway();

        var response = await (await env.CallerAsync()).SendAsync(Post(Transfers, body, "crash-key"));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Empty(env.EttPosts("transfers"));
    }
}
