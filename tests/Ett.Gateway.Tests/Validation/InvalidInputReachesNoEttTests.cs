using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ett.Gateway.Tests.Infrastructure;

namespace Ett.Gateway.Tests.Validation;

/// <summary>Each input ETT would misread or refuse misleadingly: 400 naming the field, and not one ETT or token request.</summary>
public class InvalidInputReachesNoEttTests : GatewayTest
{
    private static readonly Guid Organization = Guid.Parse("1a7a0000-0000-4000-8000-000000000001");
    private static readonly string Tomorrow = TestClock.Start.AddDays(1).ToString("yyyy-MM-ddTHH:mm:ssZ");
    private static readonly string TomorrowWithFraction = TestClock.Start.AddDays(1).AddMilliseconds(250).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");

    public static TheoryData<string, string, string?, string> InvalidInputs => new()
    {
        { "POST", $"/organizations/{Organization}/transfers", $$"""{"partnerId":"{{Guid.NewGuid()}}","quantityWh":1,"gridArea":"DK3"}""", "gridArea" },
        { "POST", $"/organizations/{Organization}/transfers", $$"""{"partnerId":"{{Guid.NewGuid()}}","quantityWh":1,"gridArea":""}""", "gridArea" },
        { "POST", $"/organizations/{Organization}/transfers", """{"partnerOrganizationId":"00000000-0000-0000-0000-000000000000","quantityWh":1}""", "partnerOrganizationId" },
        { "POST", $"/organizations/{Organization}/claims", """{"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","gridArea":"XX"}""", "gridArea" },
        { "POST", $"/organizations/{Organization}/partners", """{"name":"p","partnerOrganizationId":"00000000-0000-0000-0000-000000000000"}""", "partnerOrganizationId" },
        { "GET", $"/organizations/{Guid.Empty}/wallet", null, "organizationId" },
        { "GET", $"/organizations/{Guid.Empty}/certificates", null, "organizationId" },
        { "GET", $"/organizations/{Guid.Empty}/operations", null, "organizationId" },
        { "POST", $"/organizations/{Guid.Empty}/partners", """{"name":"p","partnerOrganizationId":"1a7a0000-0000-4000-8000-000000000002"}""", "organizationId" },
        { "POST", $"/organizations/{Organization}/contracts", $$"""{"gsrn":"571313100000000011","start":"{{TomorrowWithFraction}}"}""", "start" },
        { "POST", $"/organizations/{Organization}/contracts", $$"""{"gsrn":"571313100000000011","start":"{{Tomorrow}}","end":"{{TomorrowWithFraction}}"}""", "end" },
        { "PATCH", $"/organizations/{Organization}/contracts/{Guid.NewGuid()}", $$"""{"end":"{{TomorrowWithFraction}}"}""", "end" },
        { "GET", $"/ett/wallet-api/wallets?organizationId={Guid.Empty}", null, "organizationId" },
    };

    [Theory]
    [MemberData(nameof(InvalidInputs))]
    public async Task Invalid_input_is_a_400_naming_the_field_with_no_ett_call(string method, string path, string? body, string field)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());

        var response = await Caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Empty(Upstreams.EttRequests);
        Assert.Empty(Upstreams.TokenRequests);
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("5a4d0000-0000-4000-8000-00000000000")]
    public async Task A_malformed_organization_id_matches_no_route(string organizationId)
    {
        var response = await Caller.GetAsync($"/organizations/{organizationId}/wallet");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(Upstreams.EttRequests);
    }
}
