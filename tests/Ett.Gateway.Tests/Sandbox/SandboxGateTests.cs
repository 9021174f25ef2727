using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Ett.Sandbox;
using Microsoft.IdentityModel.JsonWebTokens;
using static Ett.Gateway.Tests.Sandbox.EttCalls;
using static Ett.Sandbox.SandboxSeed;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>What ETT checks before any handler: X-API-Version, the bearer token, and access to organizationId.</summary>
public sealed class SandboxGateTests : SandboxTestBase
{

    [Fact]
    public async Task Missing_api_version_is_rejected_with_ApiVersionUnspecified()
    {
        using var ett = await Server.CreateEttClientAsync();
        ett.DefaultRequestHeaders.Remove("X-API-Version");

        using var response = await ett.GetAsync("api/authorization/client/consents");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("ApiVersionUnspecified", problem["code"]!.GetValue<string>());
        Assert.Equal("https://docs.api-versioning.org/problems#unspecified", problem["type"]!.GetValue<string>());
        Assert.Equal("1", response.Headers.GetValues("api-supported-versions").Single());
    }

    [Theory]
    [InlineData("20250101")]
    [InlineData("20240515")]
    [InlineData("2")]
    public async Task Any_api_version_but_1_is_rejected_as_unsupported(string version)
    {
        using var ett = await Server.CreateEttClientAsync();
        ett.DefaultRequestHeaders.Remove("X-API-Version");
        ett.DefaultRequestHeaders.Add("X-API-Version", version);

        using var response = await ett.GetAsync($"wallet-api/wallets?{Org(ProducerOrganizationId)}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("https://docs.api-versioning.org/problems#unsupported", problem["type"]!.GetValue<string>());
        Assert.Equal("Unsupported API version", problem["title"]!.GetValue<string>());
        Assert.Equal("UnsupportedApiVersion", problem["code"]!.GetValue<string>());
        Assert.Equal("1", response.Headers.GetValues("api-supported-versions").Single());
    }

    [Fact]
    public async Task Request_without_token_gets_401_with_empty_body()
    {
        using var client = new HttpClient { BaseAddress = Server.EttBaseAddress };
        client.DefaultRequestHeaders.Add("X-API-Version", "1");

        using var response = await client.GetAsync($"wallet-api/wallets?{Org(ProducerOrganizationId)}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Token_not_issued_by_the_sandbox_ett_gets_401()
    {
        using var ett = await Server.CreateEttClientAsync();
        // A well-formed token from the wrong issuer and key: the development identity provider's.
        ett.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await Server.GetCallerTokenAsync());

        using var response = await ett.GetAsync("api/authorization/client/consents");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Expired_token_gets_401_once_the_clock_skew_has_passed()
    {
        using var ett = await Server.CreateEttClientAsync();
        Server.FakeTime!.Advance(TimeSpan.FromSeconds(3600) + TimeSpan.FromMinutes(4));
        using var withinSkew = await ett.GetAsync("api/authorization/client/consents");
        Server.FakeTime.Advance(TimeSpan.FromMinutes(2));

        using var expired = await ett.GetAsync("api/authorization/client/consents");

        Assert.Equal(HttpStatusCode.OK, withinSkew.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
    }

    [Fact]
    public async Task Ett_token_carries_ETTs_claims_with_org_ids_space_separated()
    {
        var token = new JsonWebToken(await Server.GetEttTokenAsync());

        Assert.Equal(EttClientId, token.Subject);
        Assert.Equal("External", token.GetPayloadValue<string>("sub_type"));
        Assert.Equal(ClientOrganizationId.ToString(), token.GetPayloadValue<string>("org_id"));
        Assert.Equal($"{ProducerOrganizationId} {ConsumerOrganizationId} {TraderOrganizationId}", token.GetPayloadValue<string>("org_ids"));
        Assert.Equal("trial", token.GetPayloadValue<string>("org_status"));
        Assert.False(string.IsNullOrEmpty(token.GetPayloadValue<string>("org_name")));
        Assert.Equal(3600, (token.ValidTo - token.IssuedAt).TotalSeconds);
    }

    [Fact]
    public async Task Second_client_is_normal_and_sees_only_its_own_consent()
    {
        var token = new JsonWebToken(await Server.GetEttTokenAsync(SecondEttClientId, SecondEttClientSecret));
        using var ett = await Server.CreateEttClientAsync(SecondEttClientId, SecondEttClientSecret);

        var consents = (await ett.GetJsonAsync("api/authorization/client/consents"))["result"]!.AsArray();

        Assert.Equal("normal", token.GetPayloadValue<string>("org_status"));
        Assert.Equal(NormalProducerOrganizationId, Assert.Single(consents)!["organizationId"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task Wrong_ett_client_secret_gets_invalid_client()
    {
        using var client = Server.CreateClient();

        using var response = await client.PostAsync(Server.EttTokenUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = EttClientId,
            ["client_secret"] = "wrong",
        }));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Non_consented_organization_gets_403_with_each_services_body()
    {
        using var ett = await Server.CreateEttClientAsync();

        using var wallet = await ett.GetAsync($"wallet-api/wallets?{Org(UnconsentedOrganizationId)}");
        using var meteringPoints = await ett.GetAsync($"api/measurements/meteringpoints?{Org(UnconsentedOrganizationId)}");
        using var contracts = await ett.GetAsync($"api/certificates/contracts?{Org(UnconsentedOrganizationId)}");

        Assert.Equal(HttpStatusCode.Forbidden, wallet.StatusCode);
        Assert.Equal(403, JsonNode.Parse(await wallet.Content.ReadAsStringAsync())!["status"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Forbidden, meteringPoints.StatusCode);
        Assert.Equal("", await meteringPoints.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, contracts.StatusCode);
        Assert.Equal("", await contracts.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Clients_own_organization_is_always_accessible()
    {
        using var ett = await Server.CreateEttClientAsync();

        var wallets = await ett.GetJsonAsync($"wallet-api/wallets?{Org(ClientOrganizationId)}");

        Assert.Equal(WalletIdOf(ClientOrganizationId), wallets["result"]![0]!["id"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task Non_guid_organization_on_wallet_api_gets_400_problem_with_ETTs_detail()
    {
        using var ett = await Server.CreateEttClientAsync();

        using var response = await ett.GetAsync("wallet-api/wallets?organizationId=not-a-guid");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Query\u2011parameter 'organizationId' must be a non\u2011empty GUID.",
            JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Granted_consent_is_listed_at_once_but_needs_a_new_token()
    {
        using var oldToken = await Server.CreateEttClientAsync();

        Server.State.GrantConsent(EttClientId, UnconsentedOrganizationId);
        var consents = (await oldToken.GetJsonAsync("api/authorization/client/consents"))["result"]!.AsArray();
        using var withOldToken = await oldToken.GetAsync($"wallet-api/wallets?{Org(UnconsentedOrganizationId)}");
        using var newToken = await Server.CreateEttClientAsync();
        using var withNewToken = await newToken.GetAsync($"wallet-api/wallets?{Org(UnconsentedOrganizationId)}");

        Assert.Contains(consents, c => c!["organizationId"]!.GetValue<Guid>() == UnconsentedOrganizationId);
        Assert.Equal(HttpStatusCode.Forbidden, withOldToken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withNewToken.StatusCode);
    }

    [Fact]
    public async Task Revoked_consent_disappears_from_consents_but_old_tokens_keep_access()
    {
        using var oldToken = await Server.CreateEttClientAsync();

        Server.State.RevokeConsent(EttClientId, TraderOrganizationId);
        var consents = (await oldToken.GetJsonAsync("api/authorization/client/consents"))["result"]!.AsArray();
        using var withOldToken = await oldToken.GetAsync($"wallet-api/wallets?{Org(TraderOrganizationId)}");
        using var newToken = await Server.CreateEttClientAsync();
        using var withNewToken = await newToken.GetAsync($"wallet-api/wallets?{Org(TraderOrganizationId)}");

        Assert.DoesNotContain(consents, c => c!["organizationId"]!.GetValue<Guid>() == TraderOrganizationId);
        Assert.Equal(HttpStatusCode.OK, withOldToken.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, withNewToken.StatusCode);
    }

    [Fact]
    public async Task Every_ett_request_is_logged_with_version_authorization_and_body()
    {
        using var ett = await Server.CreateEttClientAsync();
        Server.State.ClearRequests();

        using var response = await ett.PostAsync($"wallet-api/claims?{Org(ConsumerOrganizationId)}",
            new StringContent("{\"quantity\":1}", System.Text.Encoding.UTF8, "application/json"));

        var request = Assert.Single(Server.State.Requests);
        Assert.Equal(("POST", "/sandbox/ett/wallet-api/claims", $"?{Org(ConsumerOrganizationId)}", "1", true, "{\"quantity\":1}"),
            (request.Method, request.Path, request.QueryString, request.ApiVersion, request.HasAuthorization, request.Body));
    }

    [Fact]
    public async Task Token_requests_are_logged_without_their_body()
    {
        Server.State.ClearRequests();

        await Server.GetEttTokenAsync();

        var request = Assert.Single(Server.State.Requests);
        Assert.Equal(("POST", "/sandbox/ett-token", null), (request.Method, request.Path, request.Body));
    }
}
