using System.Net;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Ett.Gateway.Tests.Upstream;

public class EttClientSelectionTests : GatewayTest
{
    private static readonly Guid ServedByFirst = Guid.Parse("11111111-1111-4111-8111-111111111111");
    private static readonly Guid ServedBySecond = Guid.Parse("22222222-2222-4222-8222-222222222222");

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Ett:Clients:0:Name", "trading");
        builder.UseSetting("Ett:Clients:0:ClientId", "trading-client");
        builder.UseSetting("Ett:Clients:0:ClientSecret", "trading-secret-value");
        builder.UseSetting("Ett:Clients:1:Name", "retail");
        builder.UseSetting("Ett:Clients:1:ClientId", "retail-client");
        builder.UseSetting("Ett:Clients:1:ClientSecret", "retail-secret-value");
    }

    [Fact]
    public async Task Request_for_an_organization_uses_the_client_holding_its_consent()
    {
        Upstreams.ConsentsByClient["trading-client"] = [ServedByFirst];
        Upstreams.ConsentsByClient["retail-client"] = [ServedBySecond];
        Upstreams.TokenOrganizations = [ServedByFirst, ServedBySecond];

        var response = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={ServedBySecond}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var walletCall = Assert.Single(Upstreams.EttRequests, r => r.Path == "/wallet-api/wallets");
        Assert.Equal("retail-client", FakeUpstreams.ClientOf(walletCall));
    }

    [Fact]
    public async Task Request_without_an_organization_uses_the_first_client()
    {
        await Caller.GetAsync("/ett/api/authorization/client/consents");

        Assert.Equal("trading-client", FakeUpstreams.ClientOf(Upstreams.EttRequests.Single()));
    }

    [Fact]
    public async Task Consents_per_client_are_cached_not_fetched_per_request()
    {
        Upstreams.ConsentsByClient["trading-client"] = [ServedByFirst];
        Upstreams.ConsentsByClient["retail-client"] = [ServedBySecond];
        Upstreams.TokenOrganizations = [ServedByFirst, ServedBySecond];

        for (var i = 0; i < 3; i++) await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={ServedBySecond}");

        Assert.Equal(2, Upstreams.EttRequests.Count(r => r.Path.EndsWith("/consents")));
        Assert.Equal(3, Upstreams.EttRequests.Count(r => r.Path == "/wallet-api/wallets"));
    }
}
