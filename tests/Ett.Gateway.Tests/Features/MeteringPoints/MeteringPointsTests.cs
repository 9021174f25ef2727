using System.Net;
using System.Text.Json;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;
using Microsoft.AspNetCore.Http;
using static Ett.Gateway.Tests.Features.FeatureTestSettings;

namespace Ett.Gateway.Tests.Features.MeteringPoints;

public class MeteringPointsTests
{
    private static readonly string Producer = $"/organizations/{SandboxSeed.ProducerOrganizationId}/metering-points";

    [Fact]
    public async Task Metering_points_show_explicit_fields_and_which_are_activated_by_a_contract_in_force()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync(SandboxSeed.ReaderClientId);
        var contracts = (await (await caller.GetAsync($"/organizations/{SandboxSeed.ProducerOrganizationId}/contracts")).JsonAsync(HttpStatusCode.OK))
            .GetProperty("contracts").EnumerateArray().ToDictionary(c => c.GetProperty("gsrn").GetString()!, c => c.GetProperty("id").GetGuid());
        env.Sandbox.State.ClearRequests();

        var body = await (await caller.GetAsync(Producer)).JsonAsync(HttpStatusCode.OK);

        Assert.Equal("created", body.GetProperty("relationStatus").GetString());
        var points = body.GetProperty("meteringPoints").EnumerateArray().ToDictionary(p => p.GetProperty("gsrn").GetString()!);
        Assert.Equal([SandboxSeed.ProducerWindGsrn, SandboxSeed.ProducerSolarGsrn, SandboxSeed.ProducerUncontractedSolarGsrn, SandboxSeed.ProducerBiomassGsrn], points.Keys);
        var wind = points[SandboxSeed.ProducerWindGsrn];
        Assert.Equal("production", wind.GetProperty("type").GetString());
        Assert.Equal("542", wind.GetProperty("gridArea").GetString());
        Assert.Equal("DK1", wind.GetProperty("biddingZone").GetString());
        Assert.Equal("physical", wind.GetProperty("subMeterType").GetString());
        Assert.Equal("Aarhus C", wind.GetProperty("address").GetProperty("city").GetString());
        Assert.Equal("F01050100", wind.GetProperty("technology").GetProperty("aibFuelCode").GetString());
        Assert.Equal("T020001", wind.GetProperty("technology").GetProperty("aibTechCode").GetString());
        Assert.Equal("3600", wind.GetProperty("capacity").GetString());
        Assert.True(wind.GetProperty("canIssueCertificates").GetBoolean());
        Assert.True(wind.GetProperty("active").GetBoolean());
        Assert.Equal(contracts[SandboxSeed.ProducerWindGsrn], wind.GetProperty("contractId").GetGuid());
        Assert.False(points[SandboxSeed.ProducerUncontractedSolarGsrn].GetProperty("active").GetBoolean());
        Assert.Equal(JsonValueKind.Null, points[SandboxSeed.ProducerUncontractedSolarGsrn].GetProperty("contractId").ValueKind);
        Assert.False(points[SandboxSeed.ProducerBiomassGsrn].GetProperty("canIssueCertificates").GetBoolean());
        Assert.Equal(1, env.Sandbox.State.CallsTo("GET", "/api/measurements/meteringpoints"));
        Assert.Equal(1, env.Sandbox.State.CallsTo("GET", "/api/certificates/contracts"));
        Assert.Equal(2, env.Sandbox.State.EttApiCalls());
    }

    [Theory]
    [InlineData("consumption", new[] { SandboxSeed.ConsumerDk1Gsrn, SandboxSeed.ConsumerDk2Gsrn })]
    [InlineData("Consumption", new[] { SandboxSeed.ConsumerDk1Gsrn, SandboxSeed.ConsumerDk2Gsrn })]
    [InlineData("production", new string[0])]
    public async Task Metering_points_are_filtered_by_type(string type, string[] expected)
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();

        var body = await (await caller.GetAsync($"/organizations/{SandboxSeed.ConsumerOrganizationId}/metering-points?type={type}")).JsonAsync(HttpStatusCode.OK);

        var points = body.GetProperty("meteringPoints").EnumerateArray().ToArray();
        Assert.Equal(expected, points.Select(p => p.GetProperty("gsrn").GetString()));
        Assert.All(points, p => Assert.Equal("consumption", p.GetProperty("type").GetString()));
        Assert.All(points, p => Assert.Equal(JsonValueKind.Null, p.GetProperty("technology").ValueKind));
    }

    [Theory]
    [InlineData("/organizations/{0}/metering-points?type=wind", "type")]
    [InlineData("/organizations/{0}/metering-points?type=7", "type")]
    [InlineData("/organizations/00000000-0000-0000-0000-000000000000/metering-points", "organizationId")]
    public async Task Metering_points_reject_invalid_parameters_without_calling_ett(string path, string field)
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();

        var response = await caller.GetAsync(string.Format(path, SandboxSeed.ProducerOrganizationId));

        Assert.Equal([field], await response.ValidationErrorsAsync());
        Assert.Equal(0, env.Sandbox.State.EttApiCalls());
    }

    [Fact]
    public async Task Metering_points_of_an_organization_the_caller_may_not_act_for_are_forbidden()
    {
        await using var env = await SandboxGateway.StartAsync(settings: CallersRestrictedTo(SandboxSeed.ConsumerOrganizationId));
        var caller = await env.CreateCallerAsync(SandboxSeed.ReaderClientId);

        var response = await caller.GetAsync(Producer);

        await response.ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0, env.Sandbox.State.EttApiCalls());
    }

    [Fact]
    public async Task Metering_points_of_an_organization_without_consent_are_not_consented()
    {
        await using var env = await SandboxGateway.StartAsync();
        var caller = await env.CreateCallerAsync();

        var response = await caller.GetAsync($"/organizations/{SandboxSeed.UnconsentedOrganizationId}/metering-points");

        await response.ProblemAsync(HttpStatusCode.Forbidden, "not-consented");
    }
}

public class PendingMeteringPointsTests : GatewayTest
{
    [Fact]
    public async Task Pending_datahub_relation_is_reported_as_relation_status_pending()
    {
        var organization = Guid.NewGuid();
        Upstreams.EttBehaviour = (context, request) => request.Path switch
        {
            "/api/measurements/meteringpoints" => context.Response.WriteAsJsonAsync(new { result = Array.Empty<object>(), status = "Pending" }),
            _ => context.Response.WriteAsJsonAsync(new { result = Array.Empty<object>() }),
        };

        var body = await (await Caller.GetAsync($"/organizations/{organization}/metering-points")).JsonAsync(HttpStatusCode.OK);

        Assert.Equal("pending", body.GetProperty("relationStatus").GetString());
        Assert.Empty(body.GetProperty("meteringPoints").EnumerateArray());
        Assert.Contains(Upstreams.EttRequests, r => r.Path == "/api/measurements/meteringpoints" && r.Query == $"?organizationId={organization}");
    }
}
