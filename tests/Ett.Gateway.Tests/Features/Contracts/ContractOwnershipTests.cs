using System.Net;
using System.Net.Http.Json;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Ett.Gateway.Tests.Features.Contracts;

/// <summary>
/// Real ETT answers GET contracts/{id} for a contract of any organization in its token (energy-origin Query.API
/// ContractsController.GetContract), its list only the owner's: this fake does the same, unlike the sandbox.
/// </summary>
public class ContractOwnershipTests : GatewayTest
{
    private static readonly Guid A = Guid.Parse("c0a70000-0000-4000-8000-00000000000a");
    private static readonly Guid B = Guid.Parse("c0a70000-0000-4000-8000-00000000000b");
    private static readonly Guid ContractOfA = Guid.Parse("c0a70000-0000-4000-8000-0000000000ca");
    private static readonly Guid ContractOfB = Guid.Parse("c0a70000-0000-4000-8000-0000000000cb");

    protected override void Configure(IWebHostBuilder builder) =>
        builder.UseSetting("Callers:Organizations:a-only-app:0", A.ToString());

    private HttpClient CallerForA() => Gateway.CreateCaller(Upstreams.CallerToken(clientId: "a-only-app"));

    private void EttHoldsBothContracts()
    {
        Upstreams.TokenOrganizations = [A, B];
        Upstreams.EttBehaviour = async (context, request) =>
        {
            var organization = Guid.Parse(context.Request.Query["organizationId"]!);
            object Contract(Guid id) => new { id, gsrn = "571313100000000011", startDate = 1_790_000_000L, endDate = (long?)null, created = 1_780_000_000L, meteringPointType = "Production" };
            if (request.Method == "GET" && request.Path == "/api/certificates/contracts")
                await context.Response.WriteAsJsonAsync(new { result = new[] { Contract(organization == A ? ContractOfA : ContractOfB) } });
            else if (request.Method == "GET" && request.Path.StartsWith("/api/certificates/contracts/", StringComparison.Ordinal))
                await context.Response.WriteAsJsonAsync(Contract(Guid.Parse(request.Path[(request.Path.LastIndexOf('/') + 1)..])));
            else context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        };
    }

    [Fact]
    public async Task Another_organizations_contract_is_not_shown_through_the_routes_organization()
    {
        EttHoldsBothContracts();

        var theirs = await CallerForA().GetAsync($"/organizations/{A}/contracts/{ContractOfB}");
        var ours = await CallerForA().GetAsync($"/organizations/{A}/contracts/{ContractOfA}");

        Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        Assert.DoesNotContain("571313100000000011", await theirs.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, ours.StatusCode);
        Assert.All(Upstreams.EttRequests, r => Assert.Equal($"?organizationId={A}", r.Query));
    }

    [Fact]
    public async Task Another_organizations_contract_is_not_changed_through_the_routes_organization()
    {
        EttHoldsBothContracts();

        var response = await CallerForA().PatchAsJsonAsync($"/organizations/{A}/contracts/{ContractOfB}", new { end = (DateTimeOffset?)null });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(Upstreams.EttRequests, r => r.Method == "PUT");
    }
}
