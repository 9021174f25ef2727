using System.Net;
using Ett.Gateway.Tests.Operations.Store;
using static Ett.Gateway.Tests.Operations.OperationsSandbox;

namespace Ett.Gateway.Tests.Operations;

/// <summary>Several gateway instances behind a load balancer share one PostgreSQL store.</summary>
[RequiresPostgres]
public sealed class SharedPostgresStoreTests : IAsyncLifetime
{
    private PostgresTestSchema? schema;
    private OperationsSandbox? env;

    public async Task InitializeAsync()
    {
        if ((schema = await PostgresTestSchema.CreateAsync()) is null) return;
        env = await OperationsSandbox.StartAsync(new Dictionary<string, string?>
        {
            ["Operations:Store"] = "Postgres",
            ["ConnectionStrings:Operations"] = schema.ConnectionString,
        });
    }

    public async Task DisposeAsync()
    {
        if (env is not null) await env.DisposeAsync();
        if (schema is not null) await schema.DisposeAsync();
    }

    [StoreFact]
    public async Task Two_instances_racing_one_key_cause_one_set_of_ett_transfers()
    {
        var sandbox = env ?? throw new InvalidOperationException($"{RequiresPostgresAttribute.Variable} is not set.");
        var first = await sandbox.CallerAsync(sandbox.StartGateway());
        var second = await sandbox.CallerAsync(sandbox.StartGateway());
        var body = new { partnerOrganizationId = Trader, quantityWh = sandbox.AvailableProduction(Producer, "DK1")[0].AvailableWh + 1, gridArea = "DK1" };
        var path = $"/organizations/{Producer}/transfers";

        var responses = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(i => (i % 2 == 0 ? first : second).SendAsync(Post(path, body, "shared-key"))));

        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.Conflict }));
        Assert.Single((await Task.WhenAll(responses.Where(r => r.StatusCode == HttpStatusCode.Accepted).Select(r => r.Content.ReadAsStringAsync()))).Distinct());
        Assert.Equal(2, sandbox.EttPosts("transfers").Count);
        var replay = await second.SendAsync(Post(path, body, "shared-key"));
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal(2, sandbox.EttPosts("transfers").Count);
    }

    [StoreFact]
    public async Task Two_instances_never_poll_or_send_the_same_leg_in_one_iteration()
    {
        var sandbox = env ?? throw new InvalidOperationException($"{RequiresPostgresAttribute.Variable} is not set.");
        var (first, second) = (sandbox.StartGateway(), sandbox.StartGateway());
        var caller = await sandbox.CallerAsync(first);
        await sandbox.CallerAsync(second);
        var certificates = sandbox.AvailableProduction(Producer, "DK1");
        var submitted = await caller.SendAsync(Post($"/organizations/{Producer}/transfers",
            new { partnerOrganizationId = Trader, quantityWh = certificates.Take(3).Sum(c => c.AvailableWh), gridArea = "DK1" }, "polled"));
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        await sandbox.Ett.WhenIdleAsync();
        sandbox.Ett.ClearRequests();

        await Task.WhenAll(sandbox.RunWorkerAsync(first), sandbox.RunWorkerAsync(second));

        var polls = sandbox.Ett.Requests.Where(r => r.Path.Contains("/request-status/", StringComparison.Ordinal)).GroupBy(r => r.Path).ToList();
        Assert.Equal(3, polls.Count);
        Assert.All(polls, poll => Assert.Single(poll));
        Assert.Empty(sandbox.EttPosts("transfers"));
    }
}
