using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Ett.Gateway.Tests.Features.Partners;

/// <summary>Registering an organization as partner writes on its wallet: the caller must hold both organizations.</summary>
public class PartnerOrganizationAccessTests : GatewayTest
{
    private static readonly Guid A = Guid.Parse("9a770000-0000-4000-8000-00000000000a");
    private static readonly Guid B = Guid.Parse("9a770000-0000-4000-8000-00000000000b");

    protected override void Configure(IWebHostBuilder builder) =>
        builder.UseSetting("Callers:Organizations:a-only-app:0", A.ToString());

    [Fact]
    public async Task Registering_a_partner_organization_the_caller_lacks_is_refused_before_ett_or_the_store()
    {
        Upstreams.TokenOrganizations = [A, B];
        var caller = Gateway.CreateCaller(Upstreams.CallerToken(clientId: "a-only-app"));

        var response = await caller.PostAsJsonAsync($"/organizations/{A}/partners", new { name = "B", partnerOrganizationId = B });
        var partners = await caller.GetFromJsonAsync<JsonElement>($"/organizations/{A}/partners");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(B.ToString(), (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Empty(partners.GetProperty("items").EnumerateArray());
        Assert.Empty(Upstreams.EttRequests);
        Assert.Empty(Upstreams.TokenRequests);
    }

    [Fact]
    public async Task Transferring_to_a_partner_organization_the_caller_lacks_is_refused_before_the_key_is_journaled()
    {
        Upstreams.TokenOrganizations = [A, B];
        var caller = Gateway.CreateCaller(Upstreams.CallerToken(clientId: "a-only-app"));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/organizations/{A}/transfers")
        {
            Content = JsonContent.Create(new { partnerOrganizationId = B, quantityWh = 1 }),
        };
        request.Headers.Add("Idempotency-Key", "transfer-to-b");

        var response = await caller.SendAsync(request);
        var operations = await caller.GetFromJsonAsync<JsonElement>($"/organizations/{A}/operations");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(operations.GetProperty("items").EnumerateArray());
        Assert.Empty(Upstreams.EttRequests);
        Assert.Empty(Upstreams.TokenRequests);
    }
}
