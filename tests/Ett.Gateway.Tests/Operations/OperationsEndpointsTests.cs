using System.Net;
using Ett.Gateway.Errors;
using Ett.Gateway.Operations;
using Ett.Gateway.Operations.Store;
using Microsoft.Extensions.DependencyInjection;
using static Ett.Gateway.Tests.Operations.OperationsSandbox;

namespace Ett.Gateway.Tests.Operations;

public sealed class OperationsEndpointsTests : IAsyncLifetime
{
    private static readonly string Transfers = $"/organizations/{Producer}/transfers";

    private OperationsSandbox env = null!;

    public async Task InitializeAsync() =>
        env = await OperationsSandbox.StartAsync(new Dictionary<string, string?> { ["Callers:Organizations:producer-only-app:0"] = Producer.ToString() });

    public async Task DisposeAsync() => await env.DisposeAsync();

    private HttpClient ProducerOnlyCaller() => env.Gateway.CreateCaller(env.Sandbox.IssueCallerToken(new Dictionary<string, object>
    {
        ["sub"] = "producer-only-app", ["client_id"] = "producer-only-app", ["roles"] = new[] { "Ett.Read", "Ett.Write" },
    }));

    private static async Task<Guid> OperationIdOf(HttpResponseMessage response) => (await JsonOf(response)).GetProperty("operationId").GetGuid();

    [Fact]
    public async Task Operation_of_an_organization_the_caller_may_not_act_for_is_not_found()
    {
        env.StartGateway();
        var caller = await env.CallerAsync();
        var claimed = await caller.SendAsync(Post($"/organizations/{Consumer}/claims",
            new { from = env.Time.GetUtcNow().AddDays(-4), to = env.Time.GetUtcNow() }, "claim"));
        var operationId = await OperationIdOf(claimed);
        var restricted = ProducerOnlyCaller();

        var single = await restricted.GetAsync($"/operations/{operationId}");
        var list = await restricted.GetAsync($"/organizations/{Consumer}/operations");

        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync($"/operations/{operationId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, single.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
    }

    [Fact]
    public async Task Operations_are_listed_newest_first_and_filtered_by_status()
    {
        env.StartGateway();
        var caller = await env.CallerAsync();
        var completed = await OperationIdOf(await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 1000 }, "one")));
        await env.SettleAsync();
        env.Time.Advance(TimeSpan.FromSeconds(1));
        var running = await OperationIdOf(await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 2000 }, "two")));

        var all = await JsonOf(await caller.GetAsync($"/organizations/{Producer}/operations"));
        var onlyCompleted = await JsonOf(await caller.GetAsync($"/organizations/{Producer}/operations?status=completed"));
        var invalid = await caller.GetAsync($"/organizations/{Producer}/operations?status=done");

        Assert.Equal([running, completed], all.GetProperty("items").EnumerateArray().Select(o => o.GetProperty("operationId").GetGuid()));
        Assert.Equal([completed], onlyCompleted.GetProperty("items").EnumerateArray().Select(o => o.GetProperty("operationId").GetGuid()));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task Operation_reads_as_iso_times_and_camel_case_with_one_leg_per_ett_request()
    {
        env.StartGateway();
        var caller = await env.CallerAsync();
        var operationId = await OperationIdOf(await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 1000 }, "shape")));

        var operation = await env.GetOperationAsync(caller, operationId);

        Assert.Equal(
            ["operationId", "organizationId", "kind", "status", "requestedWh", "completedWh", "createdAt", "updatedAt", "correlationId", "legs"],
            operation.EnumerateObject().Select(p => p.Name));
        Assert.True(DateTimeOffset.TryParse(operation.GetProperty("createdAt").GetString(), out _));
        Assert.Equal("transfer", operation.GetProperty("kind").GetString());
        var leg = Assert.Single(operation.GetProperty("legs").EnumerateArray());
        Assert.Equal("submitted", leg.GetProperty("status").GetString());
        Assert.Equal(1000, leg.GetProperty("quantityWh").GetInt64());
        Assert.NotNull(leg.GetProperty("certificate").GetProperty("registry").GetString());
    }

    [Fact]
    public async Task Ett_rejection_fails_its_leg_and_an_unobserved_post_is_reconciled_then_sent()
    {
        env.StartGateway(services => services.AddSingleton<IEttLegSender>(provider =>
            new ScriptedSender(new EttLegSender(provider.GetRequiredService<Ett.Gateway.Upstream.EttClient>()),
                new GatewayProblemException(400, ProblemTypes.UpstreamRejected, "ETT rejected the request", "Receiver not found."),
                new TaskCanceledException("timeout"))));
        var caller = await env.CallerAsync();
        var first = env.AvailableProduction(Producer, "DK1")[0].AvailableWh;
        var traderBefore = env.Ett.AvailableWh(Trader, Ett.Sandbox.SandboxCertificateType.Production);

        var response = await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = first + 500, gridArea = "DK1" }, "faults"));

        var accepted = await JsonOf(response);
        Assert.Equal(["failed", "unknown"], accepted.GetProperty("legs").EnumerateArray().Select(l => l.GetProperty("status").GetString()));
        Assert.Equal("ETT rejected the request: Receiver not found.", accepted.GetProperty("legs")[0].GetProperty("detail").GetString());
        Assert.Empty(env.EttPosts("transfers"));

        env.Time.Advance(TimeSpan.FromMinutes(6));
        await env.SettleAsync();
        await env.SettleAsync();

        var operation = await env.GetOperationAsync(caller, accepted.GetProperty("operationId").GetGuid());
        Assert.Equal("partiallyCompleted", operation.GetProperty("status").GetString());
        Assert.Equal(500, operation.GetProperty("completedWh").GetInt64());
        Assert.Single(env.EttPosts("transfers"));
        Assert.Equal(traderBefore + 500, env.Ett.AvailableWh(Trader, Ett.Sandbox.SandboxCertificateType.Production));
    }

    /// <summary>Throws the scripted failures on the first POSTs (as if ETT answered or timed out so), then sends for real.</summary>
    private sealed class ScriptedSender(IEttLegSender real, params Exception[] failures) : IEttLegSender
    {
        private int calls;

        public Task<Guid> PostAsync(Guid organizationId, OperationKind kind, PlannedLeg leg, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref calls) - 1;
            return call < failures.Length ? Task.FromException<Guid>(failures[call]) : real.PostAsync(organizationId, kind, leg, cancellationToken);
        }
    }
}
