using System.Net;
using System.Text.Json;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;

namespace Ett.Gateway.Tests.Sandbox;

public class SandboxThroughGatewayTests : IAsyncLifetime
{
    private SandboxGateway _env = null!;

    public async Task InitializeAsync() => _env = await SandboxGateway.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task Caller_token_from_the_development_idp_reads_sandbox_consents_and_wallets_through_the_passthrough()
    {
        var caller = await _env.CreateCallerAsync();

        var consents = await caller.GetStringAsync("/ett/api/authorization/client/consents");
        var wallets = await caller.GetStringAsync($"/ett/wallet-api/wallets?organizationId={SandboxSeed.ProducerOrganizationId}");

        var organizations = JsonDocument.Parse(consents).RootElement.GetProperty("result").EnumerateArray()
            .Select(c => c.GetProperty("organizationId").GetGuid()).ToArray();
        Assert.Equal([SandboxSeed.ProducerOrganizationId, SandboxSeed.ConsumerOrganizationId, SandboxSeed.TraderOrganizationId], organizations);
        var wallet = JsonDocument.Parse(wallets).RootElement.GetProperty("result").EnumerateArray().Single();
        Assert.Equal(SandboxSeed.WalletIdOf(SandboxSeed.ProducerOrganizationId), wallet.GetProperty("id").GetGuid());
        Assert.All(_env.Sandbox.State.Requests.Where(r => !r.Path.EndsWith("ett-token")), r => Assert.Equal("1", r.ApiVersion));
    }

    [Fact]
    public async Task Read_only_development_caller_cannot_write_through_the_passthrough()
    {
        var reader = await _env.CreateCallerAsync(SandboxSeed.ReaderClientId);

        var response = await reader.PostAsync(
            $"/ett/wallet-api/wallets/{SandboxSeed.WalletIdOf(SandboxSeed.ProducerOrganizationId)}/endpoints?organizationId={SandboxSeed.ProducerOrganizationId}",
            content: null);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Organization_that_consented_after_the_token_was_issued_works_at_once()
    {
        var caller = await _env.CreateCallerAsync();
        await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={SandboxSeed.ProducerOrganizationId}");

        _env.Sandbox.State.GrantConsent(SandboxSeed.EttClientId, SandboxSeed.UnconsentedOrganizationId);
        _env.Time.Advance(TimeSpan.FromMinutes(2)); // past the gateway's consent cache
        var response = await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={SandboxSeed.UnconsentedOrganizationId}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
