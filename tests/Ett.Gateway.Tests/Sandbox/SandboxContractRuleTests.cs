using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ett.Gateway.Tests.Infrastructure;
using static Ett.Gateway.Tests.Sandbox.EttCalls;
using static Ett.Sandbox.SandboxSeed;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>ETT's certificate contracts: trial clients only, validated, all-or-nothing, no overlaps.</summary>
public sealed class SandboxContractRuleTests : IAsyncLifetime
{
    private const long Day = 86400;
    private SandboxServer _sandbox = null!;
    private HttpClient _ett = null!;
    private long _today;

    public async Task InitializeAsync()
    {
        _sandbox = await SandboxServer.StartAsync();
        _ett = await _sandbox.CreateEttClientAsync();
        _today = new DateTimeOffset(_sandbox.Time.GetUtcNow().UtcDateTime.Date).ToUnixTimeSeconds();
    }

    public async Task DisposeAsync()
    {
        _ett.Dispose();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task Trial_client_creates_a_contract_that_is_then_listed()
    {
        using var created = await CreateAsync(_ett, (ProducerUncontractedSolarGsrn, _today, _today + (10 * Day)));

        var listed = (await _ett.GetJsonAsync($"api/certificates/contracts?{Org(ProducerOrganizationId)}"))["result"]!.AsArray();

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var contract = Assert.Single(listed, c => c!["gsrn"]!.GetValue<string>() == ProducerUncontractedSolarGsrn)!;
        Assert.Equal(_today, contract["startDate"]!.GetValue<long>());
        Assert.Equal("Production", contract["meteringPointType"]!.GetValue<string>());
    }

    [Fact]
    public async Task Normal_client_may_not_create_contracts()
    {
        using var normal = await _sandbox.CreateEttClientAsync(SecondEttClientId, SecondEttClientSecret);

        using var response = await normal.PostAsJsonAsync($"api/certificates/contracts?{Org(NormalProducerOrganizationId)}",
            new { contracts = new[] { new { gsrn = NormalProducerWindGsrn, startDate = _today } } });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Start_before_today_utc_is_a_validation_error()
    {
        using var response = await CreateAsync(_ett, (ProducerUncontractedSolarGsrn, _today - 1, null));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]);
    }

    [Fact]
    public async Task End_before_start_is_a_validation_error()
    {
        using var response = await CreateAsync(_ett, (ProducerUncontractedSolarGsrn, _today + Day, _today));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Gsrn_the_organization_does_not_own_is_400_not_found()
    {
        using var response = await CreateAsync(_ett, (ConsumerDk1Gsrn, _today, null));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal($"GSRN {ConsumerDk1Gsrn} was not found", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(ProducerWindGsrn)]
    [InlineData(ProducerBiomassGsrn)]
    public async Task Active_contract_or_non_issuing_metering_point_is_409(string gsrn)
    {
        using var response = await CreateAsync(_ett, (gsrn, _today, null));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]);
    }

    [Fact]
    public async Task Creation_is_all_or_nothing()
    {
        using var response = await CreateAsync(_ett, (ProducerUncontractedSolarGsrn, _today, null), (ProducerBiomassGsrn, _today, null));

        var listed = (await _ett.GetJsonAsync($"api/certificates/contracts?{Org(ProducerOrganizationId)}"))["result"]!.AsArray();
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.DoesNotContain(listed, c => c!["gsrn"]!.GetValue<string>() == ProducerUncontractedSolarGsrn);
    }

    [Fact]
    public async Task Editing_end_dates_is_checked_for_existence_ownership_and_overlap()
    {
        using var first = await CreateAsync(_ett, (ProducerUncontractedSolarGsrn, _today, _today + (10 * Day)));
        using var second = await CreateAsync(_ett, (ProducerUncontractedSolarGsrn, _today + (20 * Day), null));
        var firstId = JsonNode.Parse(await first.Content.ReadAsStringAsync())!["result"]![0]!["id"]!.GetValue<Guid>();
        var consumerContract = (await _ett.GetJsonAsync($"api/certificates/contracts?{Org(ConsumerOrganizationId)}"))["result"]![0]!["id"]!.GetValue<Guid>();

        using var unknown = await EditAsync(Guid.NewGuid(), null);
        using var otherOrganization = await EditAsync(consumerContract, _today + Day);
        using var overlapping = await EditAsync(firstId, _today + (25 * Day));
        using var shortened = await EditAsync(firstId, _today + (5 * Day));

        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherOrganization.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, overlapping.StatusCode);
        Assert.Equal(HttpStatusCode.OK, shortened.StatusCode);
        Assert.Equal("", await shortened.Content.ReadAsStringAsync());
        var stored = await _ett.GetJsonAsync($"api/certificates/contracts/{firstId}?{Org(ProducerOrganizationId)}");
        Assert.Equal(_today + (5 * Day), stored["endDate"]!.GetValue<long>());
    }

    [Fact]
    public async Task Contracts_have_no_patch()
    {
        using var response = await _ett.PatchAsJsonAsync($"api/certificates/contracts?{Org(ProducerOrganizationId)}", new { contracts = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    private Task<HttpResponseMessage> EditAsync(Guid id, long? endDate) =>
        _ett.PutAsJsonAsync($"api/certificates/contracts?{Org(ProducerOrganizationId)}", new { contracts = new[] { new { id, endDate } } });

    private static Task<HttpResponseMessage> CreateAsync(HttpClient ett, params (string Gsrn, long StartDate, long? EndDate)[] contracts) =>
        ett.PostAsJsonAsync($"api/certificates/contracts?{Org(ProducerOrganizationId)}",
            new { contracts = contracts.Select(c => new { gsrn = c.Gsrn, startDate = c.StartDate, endDate = c.EndDate }) });
}
