using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Ett.Gateway.Tests.Sandbox.EttCalls;
using static Ett.Sandbox.SandboxSeed;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>ETT's certificate contracts: trial clients only, validated, all-or-nothing, no overlaps.</summary>
public sealed class SandboxContractRuleTests : SandboxTestBase
{
    private const long Day = 86400;

    private long Today => new DateTimeOffset(Server.Time.GetUtcNow().UtcDateTime.Date).ToUnixTimeSeconds();

    [Fact]
    public async Task Trial_client_creates_a_contract_that_is_then_listed()
    {
        using var created = await CreateAsync(Ett, (ProducerUncontractedSolarGsrn, Today, Today + (10 * Day)));

        var listed = (await Ett.GetJsonAsync($"api/certificates/contracts?{Org(ProducerOrganizationId)}"))["result"]!.AsArray();

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var contract = Assert.Single(listed, c => c!["gsrn"]!.GetValue<string>() == ProducerUncontractedSolarGsrn)!;
        Assert.Equal(Today, contract["startDate"]!.GetValue<long>());
        Assert.Equal("Production", contract["meteringPointType"]!.GetValue<string>());
    }

    [Fact]
    public async Task Normal_client_may_not_create_contracts()
    {
        using var normal = await Server.CreateEttClientAsync(SecondEttClientId, SecondEttClientSecret);

        using var response = await normal.PostAsJsonAsync($"api/certificates/contracts?{Org(NormalProducerOrganizationId)}",
            new { contracts = new[] { new { gsrn = NormalProducerWindGsrn, startDate = Today } } });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Start_before_today_utc_is_a_validation_error()
    {
        using var response = await CreateAsync(Ett, (ProducerUncontractedSolarGsrn, Today - 1, null));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]);
    }

    [Fact]
    public async Task End_before_start_is_a_validation_error()
    {
        using var response = await CreateAsync(Ett, (ProducerUncontractedSolarGsrn, Today + Day, Today));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Gsrn_the_organization_does_not_own_is_400_not_found()
    {
        using var response = await CreateAsync(Ett, (ConsumerDk1Gsrn, Today, null));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal($"GSRN {ConsumerDk1Gsrn} was not found", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(ProducerWindGsrn)]
    [InlineData(ProducerBiomassGsrn)]
    public async Task Active_contract_or_non_issuing_metering_point_is_409(string gsrn)
    {
        using var response = await CreateAsync(Ett, (gsrn, Today, null));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]);
    }

    [Fact]
    public async Task Creation_is_all_or_nothing()
    {
        using var response = await CreateAsync(Ett, (ProducerUncontractedSolarGsrn, Today, null), (ProducerBiomassGsrn, Today, null));

        var listed = (await Ett.GetJsonAsync($"api/certificates/contracts?{Org(ProducerOrganizationId)}"))["result"]!.AsArray();
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.DoesNotContain(listed, c => c!["gsrn"]!.GetValue<string>() == ProducerUncontractedSolarGsrn);
    }

    [Fact]
    public async Task Editing_end_dates_is_checked_for_existence_ownership_and_overlap()
    {
        using var first = await CreateAsync(Ett, (ProducerUncontractedSolarGsrn, Today, Today + (10 * Day)));
        using var second = await CreateAsync(Ett, (ProducerUncontractedSolarGsrn, Today + (20 * Day), null));
        var firstId = JsonNode.Parse(await first.Content.ReadAsStringAsync())!["result"]![0]!["id"]!.GetValue<Guid>();
        var consumerContract = (await Ett.GetJsonAsync($"api/certificates/contracts?{Org(ConsumerOrganizationId)}"))["result"]![0]!["id"]!.GetValue<Guid>();

        using var unknown = await EditAsync(Guid.NewGuid(), null);
        using var otherOrganization = await EditAsync(consumerContract, Today + Day);
        using var overlapping = await EditAsync(firstId, Today + (25 * Day));
        using var shortened = await EditAsync(firstId, Today + (5 * Day));

        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherOrganization.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, overlapping.StatusCode);
        Assert.Equal(HttpStatusCode.OK, shortened.StatusCode);
        Assert.Equal("", await shortened.Content.ReadAsStringAsync());
        var stored = await Ett.GetJsonAsync($"api/certificates/contracts/{firstId}?{Org(ProducerOrganizationId)}");
        Assert.Equal(Today + (5 * Day), stored["endDate"]!.GetValue<long>());
    }

    [Fact]
    public async Task Contracts_have_no_patch()
    {
        using var response = await Ett.PatchAsJsonAsync($"api/certificates/contracts?{Org(ProducerOrganizationId)}", new { contracts = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    private Task<HttpResponseMessage> EditAsync(Guid id, long? endDate) =>
        Ett.PutAsJsonAsync($"api/certificates/contracts?{Org(ProducerOrganizationId)}", new { contracts = new[] { new { id, endDate } } });

    private static Task<HttpResponseMessage> CreateAsync(HttpClient ett, params (string Gsrn, long StartDate, long? EndDate)[] contracts) =>
        ett.PostAsJsonAsync($"api/certificates/contracts?{Org(ProducerOrganizationId)}",
            new { contracts = contracts.Select(c => new { gsrn = c.Gsrn, startDate = c.StartDate, endDate = c.EndDate }) });
}
