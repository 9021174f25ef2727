using System.Net;
using System.Net.Http.Json;
using Ett.Gateway.Tests.Operations;
using static Ett.Gateway.Tests.Operations.OperationsSandbox;

namespace Ett.Gateway.Tests.Features.Partners;

public sealed class PartnersTests : IAsyncLifetime
{
    private static readonly string Partners = $"/organizations/{Producer}/partners";

    private OperationsSandbox env = null!;
    private HttpClient caller = null!;

    public async Task InitializeAsync()
    {
        env = await OperationsSandbox.StartAsync();
        env.StartGateway();
        caller = await env.CallerAsync();
        env.Ett.ClearRequests();
    }

    public async Task DisposeAsync() => await env.DisposeAsync();

    private IEnumerable<string> EttCalls() =>
        env.Ett.Requests.Where(r => !r.Path.EndsWith("ett-token", StringComparison.Ordinal) && !r.Path.EndsWith("consents", StringComparison.Ordinal))
            .Select(r => $"{r.Method} {r.Path[(r.Path.IndexOf("/wallet-api/", StringComparison.Ordinal))..]}{r.QueryString}");

    [Fact]
    public async Task Partner_organization_is_registered_with_three_ett_calls_across_both_organizations()
    {
        var response = await caller.PostAsJsonAsync(Partners, new { name = "Energihandel", partnerOrganizationId = Trader });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var partner = await JsonOf(response);
        Assert.Equal($"{Partners}/{partner.GetProperty("partnerId").GetGuid()}", response.Headers.Location?.OriginalString);
        var walletId = Ett.Sandbox.SandboxSeed.WalletIdOf(Trader);
        Assert.Equal(
        [
            $"GET /wallet-api/wallets?organizationId={Trader}",
            $"POST /wallet-api/wallets/{walletId}/endpoints?organizationId={Trader}",
            $"POST /wallet-api/external-endpoints?organizationId={Producer}",
        ], EttCalls());
        Assert.Equal(Trader, partner.GetProperty("partnerOrganizationId").GetGuid());
        Assert.NotEqual(Guid.Empty, partner.GetProperty("receiverId").GetGuid());
    }

    [Fact]
    public async Task Wallet_reference_from_an_external_partner_takes_one_ett_call()
    {
        var reference = new { version = 1, endpoint = "https://wallet.example.com/wallet-api/v1/slices", publicKey = Convert.ToBase64String(new byte[78]) };

        var response = await caller.PostAsJsonAsync(Partners, new { name = "Abroad", walletReference = reference });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal([$"POST /wallet-api/external-endpoints?organizationId={Producer}"], EttCalls());
    }

    [Fact]
    public async Task Partners_are_listed_read_and_forgotten_without_ett_calls()
    {
        var created = await JsonOf(await caller.PostAsJsonAsync(Partners, new { name = "Energihandel", partnerOrganizationId = Trader }));
        var partnerId = created.GetProperty("partnerId").GetGuid();
        env.Ett.ClearRequests();

        var list = await JsonOf(await caller.GetAsync(Partners));
        var one = await caller.GetAsync($"{Partners}/{partnerId}");
        var deleted = await caller.DeleteAsync($"{Partners}/{partnerId}");
        var gone = await caller.GetAsync($"{Partners}/{partnerId}");

        Assert.Equal(partnerId, Assert.Single(list.GetProperty("items").EnumerateArray()).GetProperty("partnerId").GetGuid());
        Assert.Equal(created.GetRawText(), (await JsonOf(one)).GetRawText());
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Empty(EttCalls());
    }

    [Fact]
    public async Task Registering_an_organization_twice_is_409_with_the_existing_partner()
    {
        var first = await JsonOf(await caller.PostAsJsonAsync(Partners, new { name = "Energihandel", partnerOrganizationId = Trader }));

        var second = await caller.PostAsJsonAsync(Partners, new { name = "Again", partnerOrganizationId = Trader });

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal(first.GetProperty("partnerId").GetGuid(), (await JsonOf(second)).GetProperty("partnerId").GetGuid());
        Assert.Single(env.Ett.Requests, r => r.Path.EndsWith("/external-endpoints", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"name":"x"}""")]
    [InlineData("""{"partnerOrganizationId":"5a4d0000-0000-4000-8000-000000000004"}""")]
    [InlineData("""{"name":"x","partnerOrganizationId":"5a4d0000-0000-4000-8000-000000000004","walletReference":{"version":1,"endpoint":"https://w.example/","publicKey":"AAAA"}}""")]
    [InlineData("""{"name":"x","walletReference":{"version":1,"endpoint":"not a url","publicKey":"AAAA"}}""")]
    public async Task Invalid_registration_is_400_without_ett_calls(string json)
    {
        var response = await caller.SendAsync(Post(Partners, json, idempotencyKey: null));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(EttCalls());
    }

    [Fact]
    public async Task Partner_id_that_is_not_a_guid_matches_no_route()
    {
        var response = await caller.GetAsync($"{Partners}/not-a-guid");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Read_only_caller_cannot_register_a_partner()
    {
        var reader = env.Gateway.CreateCaller(await env.Sandbox.GetCallerTokenAsync(Ett.Sandbox.SandboxSeed.ReaderClientId, Ett.Sandbox.SandboxSeed.CallerClientSecret));

        var response = await reader.PostAsJsonAsync(Partners, new { name = "Energihandel", partnerOrganizationId = Trader });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(EttCalls());
    }
}
