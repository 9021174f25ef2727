using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Sandbox;

namespace Ett.Gateway.Tests.RealWorld;

/// <summary>
/// The seed guide as an internal app walks it: the gateway as its own process on 127.0.0.1 with the embedded sandbox,
/// driven over real sockets by a plain HttpClient, from consents to a completed claim, with quantities that add up.
/// Real process, real clock: never on TestClock.
/// </summary>
[Trait("Category", "RealWorld")]
public sealed class SeedGuideEndToEndTests : IAsyncLifetime
{
    private static readonly Guid Producer = SandboxSeed.ProducerOrganizationId;
    private static readonly Guid Consumer = SandboxSeed.ConsumerOrganizationId;
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayProcess.StartAsync();

    [RealWorldFact]
    public async Task Consents_to_a_completed_claim_over_real_sockets_with_quantities_that_add_up()
    {
        var app = await _gateway.CallerAsync();

        var organizations = await _gateway.GetAsync(app, "/organizations");
        Assert.Contains(organizations.GetProperty("organizations").EnumerateArray(), o => o.GetProperty("id").GetGuid() == Producer);
        Assert.Contains(organizations.GetProperty("organizations").EnumerateArray(), o => o.GetProperty("id").GetGuid() == Consumer);

        var meteringPoints = await _gateway.GetAsync(app, $"/organizations/{Producer}/metering-points?type=production");
        var idle = meteringPoints.GetProperty("meteringPoints").EnumerateArray().Single(m => m.GetProperty("gsrn").GetString() == SandboxSeed.ProducerUncontractedSolarGsrn);
        Assert.False(idle.GetProperty("active").GetBoolean());

        // Whole seconds, a little ahead: ETT accepts a start from now on and keeps unix seconds.
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);
        var contract = await app.PostAsJsonAsync($"/organizations/{Producer}/contracts", new { gsrn = SandboxSeed.ProducerUncontractedSolarGsrn, start });
        Assert.True(HttpStatusCode.Created == contract.StatusCode, await contract.Content.ReadAsStringAsync());
        var contracts = await _gateway.GetAsync(app, $"/organizations/{Producer}/contracts");
        Assert.Contains(contracts.GetProperty("contracts").EnumerateArray(), c => c.GetProperty("gsrn").GetString() == SandboxSeed.ProducerUncontractedSolarGsrn);

        var producerBefore = await _gateway.GetAsync(app, $"/organizations/{Producer}/wallet");
        var consumerBefore = await _gateway.GetAsync(app, $"/organizations/{Consumer}/wallet");
        var receive = await app.PostAsync($"/organizations/{Consumer}/wallet/receive-endpoints", null);
        Assert.True(HttpStatusCode.Created == receive.StatusCode, await receive.Content.ReadAsStringAsync());
        Assert.False(string.IsNullOrEmpty((await receive.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("walletReference").GetProperty("endpoint").GetString()));

        var partner = await app.PostAsJsonAsync($"/organizations/{Producer}/partners", new { name = "Sandbox Forbrug A/S", partnerOrganizationId = Consumer });
        Assert.True(HttpStatusCode.Created == partner.StatusCode, await partner.Content.ReadAsStringAsync());
        var partnerId = (await partner.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("partnerId").GetGuid();

        var certificates = await _gateway.GetAsync(app, $"/organizations/{Producer}/certificates?type=production&limit=1000");
        var available = certificates.GetProperty("items").EnumerateArray().Sum(c => c.GetProperty("quantityWh").GetInt64());
        Assert.Equal(producerBefore.GetProperty("availableProductionWh").GetInt64(), available);
        const long transferWh = 500_000;
        Assert.True(available > transferWh, $"the producer has {available} Wh");

        var (_, transfer) = await _gateway.FollowAsync(app, $"/organizations/{Producer}/transfers", new { partnerId, quantityWh = transferWh }, "seed-guide-transfer");
        Assert.Equal(transferWh, transfer.GetProperty("completedWh").GetInt64());

        var producerAfter = await _gateway.GetAsync(app, $"/organizations/{Producer}/wallet");
        var consumerAfterTransfer = await _gateway.GetAsync(app, $"/organizations/{Consumer}/wallet");
        Assert.Equal(producerBefore.GetProperty("availableProductionWh").GetInt64() - transferWh, producerAfter.GetProperty("availableProductionWh").GetInt64());
        Assert.Equal(consumerBefore.GetProperty("availableProductionWh").GetInt64() + transferWh, consumerAfterTransfer.GetProperty("availableProductionWh").GetInt64());

        var (_, claim) = await _gateway.FollowAsync(app, $"/organizations/{Consumer}/claims",
            new { from = "2020-01-01T00:00:00Z", to = "2030-01-01T00:00:00Z" }, "seed-guide-claim");
        var claimedWh = claim.GetProperty("completedWh").GetInt64();
        Assert.True(claimedWh > 0, claim.ToString());

        var consumerAfterClaim = await _gateway.GetAsync(app, $"/organizations/{Consumer}/wallet");
        Assert.Equal(consumerAfterTransfer.GetProperty("availableProductionWh").GetInt64() - claimedWh, consumerAfterClaim.GetProperty("availableProductionWh").GetInt64());
        Assert.Equal(consumerAfterTransfer.GetProperty("availableConsumptionWh").GetInt64() - claimedWh, consumerAfterClaim.GetProperty("availableConsumptionWh").GetInt64());

        var claims = await _gateway.GetAsync(app, $"/organizations/{Consumer}/claims?limit=1000");
        Assert.Equal(claimedWh, claims.GetProperty("items").EnumerateArray().Sum(c => c.GetProperty("quantityWh").GetInt64()));
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();
}
