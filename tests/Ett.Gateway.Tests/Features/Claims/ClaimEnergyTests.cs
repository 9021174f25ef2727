using System.Net;
using System.Text.Json;
using Ett.Gateway.Tests.Operations;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;
using static Ett.Gateway.Tests.Operations.OperationsSandbox;

namespace Ett.Gateway.Tests.Features.Claims;

public sealed class ClaimEnergyTests : IAsyncLifetime
{
    private static readonly string Claims = $"/organizations/{Consumer}/claims";

    private OperationsSandbox env = null!;
    private HttpClient caller = null!;

    public async Task InitializeAsync()
    {
        env = await OperationsSandbox.StartAsync();
        env.StartGateway();
        caller = await env.CallerAsync();
    }

    public async Task DisposeAsync() => await env.DisposeAsync();

    private IReadOnlyList<SandboxCertificate> Held(SandboxCertificateType type) =>
        [.. env.Ett.CertificatesOf(Consumer).Where(c => c.Type == type && c.AvailableWh > 0).OrderBy(c => c.Start)];

    private static object Id(SandboxCertificate c) => new { registry = c.Registry, streamId = c.StreamId };

    [Fact]
    public async Task Automatic_claim_pairs_only_production_and_consumption_of_the_same_hour_and_grid_area()
    {
        var from = DateTimeOffset.FromUnixTimeSeconds(Held(SandboxCertificateType.Production).Min(c => c.Start));
        var to = from.AddHours(6);
        var certificates = env.Ett.CertificatesOf(Consumer).Where(c => c.Start >= from.ToUnixTimeSeconds() && c.End <= to.ToUnixTimeSeconds()).ToList();
        // The consumer holds DK1 production only (bought wind) but consumes in DK1 and DK2: DK2 has nothing to pair with.
        var expected = certificates.Where(c => c.Type == SandboxCertificateType.Production)
            .Sum(p => Math.Min(p.AvailableWh, certificates.Single(c => c.Type == SandboxCertificateType.Consumption && c.Start == p.Start && c.GridArea == p.GridArea).AvailableWh));

        var response = await caller.SendAsync(Post(Claims, new { from, to }, "auto-claim"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var posts = env.EttPosts("claims").Select(p => JsonDocument.Parse(p.Body!).RootElement).ToList();
        Assert.Equal(6, posts.Count);
        foreach (var post in posts)
        {
            var production = certificates.Single(c => c.StreamId == post.GetProperty("productionCertificateId").GetProperty("streamId").GetGuid());
            var consumption = certificates.Single(c => c.StreamId == post.GetProperty("consumptionCertificateId").GetProperty("streamId").GetGuid());
            Assert.Equal((SandboxCertificateType.Production, SandboxCertificateType.Consumption), (production.Type, consumption.Type));
            Assert.Equal((production.Start, production.End, production.GridArea), (consumption.Start, consumption.End, consumption.GridArea));
            Assert.Equal(Math.Min(production.AvailableWh, consumption.AvailableWh), post.GetProperty("quantity").GetInt64());
        }
        Assert.Equal(expected, (await JsonOf(response)).GetProperty("requestedWh").GetInt64());

        await env.SettleAsync();
        var operation = await env.GetOperationAsync(caller, (await JsonOf(response)).GetProperty("operationId").GetGuid());
        Assert.Equal("completed", operation.GetProperty("status").GetString());
        Assert.Equal(expected, operation.GetProperty("completedWh").GetInt64());
    }

    [Fact]
    public async Task Explicit_pair_is_claimed_in_one_leg()
    {
        var production = Held(SandboxCertificateType.Production)[0];
        var consumption = Held(SandboxCertificateType.Consumption).First(c => c.Start == production.Start && c.GridArea == production.GridArea);

        var response = await caller.SendAsync(Post(Claims,
            new { productionCertificateId = Id(production), consumptionCertificateId = Id(consumption), quantityWh = 1000 }, "pair"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var post = JsonDocument.Parse(Assert.Single(env.EttPosts("claims")).Body!).RootElement;
        Assert.Equal(1000, post.GetProperty("quantity").GetInt64());
        await env.SettleAsync();
        Assert.Equal(production.AvailableWh - 1000, env.Ett.CertificatesOf(Consumer).Single(c => c.StreamId == production.StreamId).AvailableWh);
    }

    [Fact]
    public async Task Explicit_pair_of_different_hours_is_422_and_nothing_is_claimed()
    {
        var production = Held(SandboxCertificateType.Production)[0];
        var consumption = Held(SandboxCertificateType.Consumption).First(c => c.Start != production.Start && c.GridArea == production.GridArea);

        var response = await caller.SendAsync(Post(Claims,
            new { productionCertificateId = Id(production), consumptionCertificateId = Id(consumption), quantityWh = 1000 }, "mismatch"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Empty(env.EttPosts("claims"));
    }

    [Fact]
    public async Task Explicit_pair_beyond_the_available_quantity_is_422_with_the_available_amount()
    {
        var production = Held(SandboxCertificateType.Production)[0];
        var consumption = Held(SandboxCertificateType.Consumption).First(c => c.Start == production.Start && c.GridArea == production.GridArea);
        var available = Math.Min(production.AvailableWh, consumption.AvailableWh);

        var response = await caller.SendAsync(Post(Claims,
            new { productionCertificateId = Id(production), consumptionCertificateId = Id(consumption), quantityWh = available + 1 }, "too-much"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(available, (await JsonOf(response)).GetProperty("availableWh").GetInt64());
        Assert.Empty(env.EttPosts("claims"));
    }

    [Fact]
    public async Task Pair_and_period_together_are_rejected_by_validation()
    {
        var production = Held(SandboxCertificateType.Production)[0];

        var response = await caller.SendAsync(Post(Claims,
            new { productionCertificateId = Id(production), from = TestClock.Start.AddDays(-1), to = TestClock.Start }, "both"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://ett-gateway/problems/validation", (await JsonOf(response)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Claim_without_idempotency_key_is_400()
    {
        var response = await caller.SendAsync(Post(Claims, new { from = TestClock.Start.AddDays(-1), to = TestClock.Start }, null));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(env.EttPosts("claims"));
    }
}
