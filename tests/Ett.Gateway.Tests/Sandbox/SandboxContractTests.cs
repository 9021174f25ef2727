using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ett.Sandbox;
using static Ett.Gateway.Tests.Sandbox.EttCalls;
using static Ett.Sandbox.SandboxSeed;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>Every sandbox operation's response validates against the same operation's schema in ETT's upstream contract.</summary>
public sealed class SandboxContractTests : SandboxTestBase
{

    [Theory]
    [InlineData("api/authorization/client/consents", "/api/authorization/client/consents")]
    [InlineData("api/measurements/meteringpoints?{producer}", "/api/measurements/meteringpoints")]
    [InlineData("api/certificates/contracts?{producer}", "/api/certificates/contracts")]
    [InlineData("wallet-api/wallets?{producer}", "/wallet-api/wallets")]
    [InlineData("wallet-api/certificates?{producer}", "/wallet-api/certificates")]
    [InlineData("wallet-api/certificates?{producer}&type=Production&limit=5&skip=2&sortBy=Quantity&sort=DESC", "/wallet-api/certificates")]
    [InlineData("wallet-api/certificates/cursor?{consumer}&updatedSince=0&limit=3", "/wallet-api/certificates/cursor")]
    [InlineData("wallet-api/certificates/cursor?{consumer}", "/wallet-api/certificates/cursor")]
    [InlineData("wallet-api/aggregate-certificates?{consumer}&timeAggregate=Day&timeZone=Europe/Copenhagen", "/wallet-api/aggregate-certificates")]
    [InlineData("wallet-api/aggregate-certificates?{consumer}&timeAggregate=Total&timeZone=UTC&type=consumption", "/wallet-api/aggregate-certificates")]
    [InlineData("wallet-api/transfers?{producer}&limit=10", "/wallet-api/transfers")]
    [InlineData("wallet-api/transfers/cursor?{producer}&updatedSince=0", "/wallet-api/transfers/cursor")]
    [InlineData("wallet-api/claims?{consumer}", "/wallet-api/claims")]
    [InlineData("wallet-api/claims/cursor?{consumer}", "/wallet-api/claims/cursor")]
    [InlineData("wallet-api/aggregate-claims?{consumer}&timeAggregate=Hour&timeZone=UTC", "/wallet-api/aggregate-claims")]
    [InlineData("wallet-api/aggregate-transfers?{producer}&timeAggregate=Day&timeZone=Europe/Copenhagen", "/wallet-api/aggregate-transfers")]
    public async Task Read_operations_match_the_contract(string uri, string pathTemplate)
    {
        using var response = await Ett.GetAsync(uri
            .Replace("{producer}", Org(ProducerOrganizationId), StringComparison.Ordinal)
            .Replace("{consumer}", Org(ConsumerOrganizationId), StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await EttContract.AssertMatchesAsync(response, HttpMethod.Get, pathTemplate);
    }

    [Fact]
    public async Task Contract_creation_listing_fetching_and_editing_match_the_contract()
    {
        var today = new DateTimeOffset(Server.Time.GetUtcNow().UtcDateTime.Date).ToUnixTimeSeconds();
        using var created = await Ett.PostAsJsonAsync($"api/certificates/contracts?{Org(ProducerOrganizationId)}",
            new { contracts = new[] { new { gsrn = ProducerUncontractedSolarGsrn, startDate = today, endDate = (long?)null } } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await EttContract.AssertMatchesAsync(created, HttpMethod.Post, "/api/certificates/contracts");
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["result"]![0]!["id"]!.GetValue<Guid>();

        using var fetched = await Ett.GetAsync($"api/certificates/contracts/{id}?{Org(ProducerOrganizationId)}");
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        await EttContract.AssertMatchesAsync(fetched, HttpMethod.Get, "/api/certificates/contracts/{id}");

        using var missing = await Ett.GetAsync($"api/certificates/contracts/{Guid.NewGuid()}?{Org(ProducerOrganizationId)}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await EttContract.AssertMatchesAsync(missing, HttpMethod.Get, "/api/certificates/contracts/{id}");

        using var edited = await Ett.PutAsJsonAsync($"api/certificates/contracts?{Org(ProducerOrganizationId)}",
            new { contracts = new[] { new { id, endDate = today + (30 * 86400) } } });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        await EttContract.AssertMatchesAsync(edited, HttpMethod.Put, "/api/certificates/contracts");
    }

    [Fact]
    public async Task Wallet_and_endpoint_operations_match_the_contract()
    {
        var walletId = WalletIdOf(TraderOrganizationId);
        using var wallet = await Ett.GetAsync($"wallet-api/wallets/{walletId}?{Org(TraderOrganizationId)}");
        Assert.Equal(HttpStatusCode.OK, wallet.StatusCode);
        await EttContract.AssertMatchesAsync(wallet, HttpMethod.Get, "/wallet-api/wallets/{walletId}");

        using var endpoint = await Ett.PostAsync($"wallet-api/wallets/{walletId}/endpoints?{Org(TraderOrganizationId)}", null);
        Assert.Equal(HttpStatusCode.Created, endpoint.StatusCode);
        await EttContract.AssertMatchesAsync(endpoint, HttpMethod.Post, "/wallet-api/wallets/{walletId}/endpoints");

        var walletReference = JsonNode.Parse(await endpoint.Content.ReadAsStringAsync())!["walletReference"];
        using var external = await Ett.PostAsJsonAsync($"wallet-api/external-endpoints?{Org(ProducerOrganizationId)}",
            new { walletReference, textReference = "trader" });
        Assert.Equal(HttpStatusCode.Created, external.StatusCode);
        await EttContract.AssertMatchesAsync(external, HttpMethod.Post, "/wallet-api/external-endpoints");

        using var toSelf = await Ett.PostAsJsonAsync($"wallet-api/external-endpoints?{Org(TraderOrganizationId)}",
            new { walletReference, textReference = "self" });
        Assert.Equal(HttpStatusCode.BadRequest, toSelf.StatusCode);
        await EttContract.AssertMatchesAsync(toSelf, HttpMethod.Post, "/wallet-api/external-endpoints");
    }

    [Fact]
    public async Task Single_certificate_and_its_404_match_the_contract()
    {
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;
        var id = certificate["federatedStreamId"]!;

        using var found = await Ett.GetAsync($"wallet-api/certificates/{id["registry"]}/{id["streamId"]}?{Org(ProducerOrganizationId)}");
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        await EttContract.AssertMatchesAsync(found, HttpMethod.Get, "/wallet-api/certificates/{registry}/{streamId}");

        using var missing = await Ett.GetAsync($"wallet-api/certificates/{Registry}/{Guid.NewGuid()}?{Org(ProducerOrganizationId)}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await EttContract.AssertMatchesAsync(missing, HttpMethod.Get, "/wallet-api/certificates/{registry}/{streamId}");
    }

    [Fact]
    public async Task Claim_and_transfer_posts_and_their_request_status_match_the_contract()
    {
        var production = (await Ett.AvailableCertificatesAsync(ConsumerOrganizationId, "production"))[0]!;
        var consumption = (await Ett.AvailableCertificatesAsync(ConsumerOrganizationId, "consumption"))
            .First(c => c!["start"]!.GetValue<long>() == production["start"]!.GetValue<long>() && c["gridArea"]!.GetValue<string>() == "DK1")!;

        using var claim = await Ett.ClaimAsync(ConsumerOrganizationId, production, consumption, 1000);
        await EttContract.AssertMatchesAsync(claim, HttpMethod.Post, "/wallet-api/claims");
        var claimRequestId = await claim.RequestIdAsync("claimRequestId");

        var receiverId = await Ett.CreateReceiverAsync(ProducerOrganizationId, TraderOrganizationId);
        var certificate = (await Ett.AvailableCertificatesAsync(ProducerOrganizationId, "production"))[0]!;
        using var transfer = await Ett.TransferAsync(ProducerOrganizationId, certificate, receiverId, 1000);
        await EttContract.AssertMatchesAsync(transfer, HttpMethod.Post, "/wallet-api/transfers");
        await Server.State.WhenIdleAsync();

        using var status = await Ett.GetAsync($"wallet-api/request-status/{claimRequestId}?{Org(ConsumerOrganizationId)}");
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        await EttContract.AssertMatchesAsync(status, HttpMethod.Get, "/wallet-api/request-status/{requestId}");

        using var claims = await Ett.GetAsync($"wallet-api/claims?{Org(ConsumerOrganizationId)}");
        Assert.Single(JsonNode.Parse(await claims.Content.ReadAsStringAsync())!["result"]!.AsArray());
        await EttContract.AssertMatchesAsync(claims, HttpMethod.Get, "/wallet-api/claims");

        using var claimed = await Ett.GetAsync($"wallet-api/aggregate-claims?{Org(ConsumerOrganizationId)}&timeAggregate=Total&timeZone=UTC");
        Assert.Equal(1000, JsonNode.Parse(await claimed.Content.ReadAsStringAsync())!["result"]![0]!["quantity"]!.GetValue<long>());
        await EttContract.AssertMatchesAsync(claimed, HttpMethod.Get, "/wallet-api/aggregate-claims");

        using var unknown = await Ett.GetAsync($"wallet-api/request-status/{Guid.NewGuid()}?{Org(ConsumerOrganizationId)}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        await EttContract.AssertMatchesAsync(unknown, HttpMethod.Get, "/wallet-api/request-status/{requestId}");
    }

    [Fact]
    public async Task Error_responses_match_the_contract()
    {
        using var anonymous = Server.CreateClient();
        anonymous.BaseAddress = Server.EttBaseAddress;
        using var noVersion = await anonymous.GetAsync($"wallet-api/wallets?{Org(ProducerOrganizationId)}");
        Assert.Equal(HttpStatusCode.BadRequest, noVersion.StatusCode);
        await EttContract.AssertMatchesAsync(noVersion, HttpMethod.Get, "/wallet-api/wallets");

        using var forbidden = await Ett.GetAsync($"wallet-api/wallets?{Org(UnconsentedOrganizationId)}");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        await EttContract.AssertMatchesAsync(forbidden, HttpMethod.Get, "/wallet-api/wallets");

        using var notGuid = await Ett.GetAsync("wallet-api/certificates?organizationId=acme");
        Assert.Equal(HttpStatusCode.BadRequest, notGuid.StatusCode);
        await EttContract.AssertMatchesAsync(notGuid, HttpMethod.Get, "/wallet-api/certificates");

        using var serviceForbidden = await Ett.GetAsync($"api/measurements/meteringpoints?{Org(UnconsentedOrganizationId)}");
        Assert.Equal(HttpStatusCode.Forbidden, serviceForbidden.StatusCode);
        await EttContract.AssertMatchesAsync(serviceForbidden, HttpMethod.Get, "/api/measurements/meteringpoints");

        using var unauthorized = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Get, "api/authorization/client/consents")
        {
            Headers = { { "X-API-Version", "1" } },
        });
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        await EttContract.AssertMatchesAsync(unauthorized, HttpMethod.Get, "/api/authorization/client/consents");
    }

    [Fact]
    public async Task Ett_token_response_matches_the_contract_token_schema()
    {
        using var client = Server.CreateClient();
        using var response = await client.PostAsync(Server.EttTokenUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = EttClientId,
            ["client_secret"] = EttClientSecret,
            ["scope"] = "https://datahubeouenerginet.onmicrosoft.com/energy-origin/.default",
        }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        Assert.Empty(EttContract.ValidateSchema(body, EttContract.Schema("TokenResponse")));
        Assert.Equal(3600, body!["expires_in"]!.GetValue<long>());
    }

    [Fact]
    public void Schema_check_reports_the_json_path_of_each_mismatch()
    {
        var certificate = JsonNode.Parse("""
            {"federatedStreamId":{"registry":"Energinet.dk","streamId":"not-a-guid"},"quantity":-1,"start":1,"end":"2",
             "gridArea":"DK1","certificateType":"Production","attributes":{"assetId":5},"extra":true}
            """);

        var mismatches = EttContract.ValidateSchema(certificate, EttContract.Schema("GranularCertificate"));

        Assert.Equal(
            [
                "$.federatedStreamId.streamId: 'not-a-guid' is not a uuid",
                "$.quantity: -1 is below 0",
                "$.end: String where Integer is required",
                "$.attributes.assetId: Number where String is required",
                "$.extra: not in the contract",
            ],
            mismatches);
    }
}
