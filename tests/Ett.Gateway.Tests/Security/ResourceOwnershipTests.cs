using System.Net;
using System.Net.Http.Json;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Ett.Gateway.Tests.Security;

/// <summary>
/// Real ETT answers GET contracts/{id} for a contract of any organization in its token (energy-origin Query.API
/// ContractsController.GetContract), and a report download for any report id (Transfer.API DownloadReportCommand ignores
/// the organization); its lists are only the owner's. This fake does the same, unlike the sandbox (which has no reports).
/// Neither the composite nor the passthrough may show organization B's resource to a caller allowed only A.
/// </summary>
public class ResourceOwnershipTests : GatewayTest
{
    private static readonly Guid A = Guid.Parse("c0a70000-0000-4000-8000-00000000000a");
    private static readonly Guid B = Guid.Parse("c0a70000-0000-4000-8000-00000000000b");
    private static readonly Guid ContractOfA = Guid.Parse("c0a70000-0000-4000-8000-0000000000ca");
    private static readonly Guid ContractOfB = Guid.Parse("c0a70000-0000-4000-8000-0000000000cb");
    private static readonly Guid ReportOfA = Guid.Parse("c0a70000-0000-4000-8000-0000000000ea");
    private static readonly Guid ReportOfB = Guid.Parse("c0a70000-0000-4000-8000-0000000000eb");

    protected override void Configure(IWebHostBuilder builder) =>
        builder.UseSetting("Callers:Organizations:a-only-app:0", A.ToString());

    private HttpClient CallerForA() => Gateway.CreateCaller(Upstreams.CallerToken(clientId: "a-only-app"));

    private void EttHoldsBothOrganizationsResources()
    {
        Upstreams.TokenOrganizations = [A, B];
        Upstreams.EttBehaviour = async (context, request) =>
        {
            var organization = Guid.Parse(context.Request.Query["organizationId"]!);
            object Contract(Guid id) => new { id, gsrn = "571313100000000011", startDate = 1_790_000_000L, endDate = (long?)null, created = 1_780_000_000L, meteringPointType = "Production" };
            if (request.Method == "GET" && request.Path == "/api/certificates/contracts")
                await context.Response.WriteAsJsonAsync(new { result = new[] { Contract(organization == A ? ContractOfA : ContractOfB) } });
            else if (request.Method == "GET" && request.Path.StartsWith("/api/certificates/contracts/", StringComparison.OrdinalIgnoreCase))
                await context.Response.WriteAsJsonAsync(Contract(Guid.Parse(request.Path[(request.Path.LastIndexOf('/') + 1)..])));
            else if (request.Method == "GET" && request.Path == "/api/reports")
                await context.Response.WriteAsJsonAsync(new { result = new[] { new { id = organization == A ? ReportOfA : ReportOfB, createdAt = 1_780_000_000L, status = "Completed" } } });
            else if (request.Method == "GET" && request.Path.StartsWith("/api/reports/", StringComparison.OrdinalIgnoreCase) && request.Path.EndsWith("/download", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.ContentType = "application/pdf";
                await context.Response.WriteAsync("%PDF-1.7 report of " + request.Path);
            }
            else context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        };
    }

    [Fact]
    public async Task Another_organizations_contract_is_not_shown_through_the_routes_organization()
    {
        EttHoldsBothOrganizationsResources();

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
        EttHoldsBothOrganizationsResources();

        var response = await CallerForA().PatchAsJsonAsync($"/organizations/{A}/contracts/{ContractOfB}", new { end = (DateTimeOffset?)null });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(Upstreams.EttRequests, r => r.Method == "PUT");
    }

    [Theory]
    [InlineData("/ett/api/certificates/contracts/{0}?organizationId={1}", "/api/certificates/contracts")]
    [InlineData("/ett/api/certificates/contracts/{0}?ORGANIZATIONID={1}", "/api/certificates/contracts")]
    [InlineData("/ett/api/reports/{0}/download?organizationId={1}", "/api/reports")]
    [InlineData("/ett/API/Reports/{0}/Download?organizationId={1}", "/api/reports")]
    public async Task The_passthrough_forwards_a_read_by_id_only_for_the_named_organizations_own_resource(string template, string ownList)
    {
        EttHoldsBothOrganizationsResources();
        var (theirs, ours) = ownList == "/api/reports" ? (ReportOfB, ReportOfA) : (ContractOfB, ContractOfA);

        var refused = await CallerForA().GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, theirs, A));

        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(theirs.ToString(), await refused.Content.ReadAsStringAsync());
        // Only A's own list was read; B's resource never crossed the wire.
        var list = Assert.Single(Upstreams.EttRequests);
        Assert.Equal(("GET", ownList, $"?organizationId={A}"), (list.Method, list.Path, list.Query));

        var allowed = await CallerForA().GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, ours, A));

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Contains(ours.ToString(), await allowed.Content.ReadAsStringAsync());
        var forwarded = Upstreams.EttRequests.Last();
        Assert.Equal(3, Upstreams.EttRequests.Count);
        Assert.Equal("GET", forwarded.Method);
        Assert.Contains(ours.ToString(), forwarded.Path, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/ett/api/certificates/contracts/not-a-guid?organizationId={0}")]
    [InlineData("/ett/api/certificates/contracts/{1}?organizationId={2}")]
    [InlineData("/ett/api/reports/{1}/download?organizationId={2}")]
    public async Task A_read_by_id_for_an_organization_the_caller_lacks_never_reaches_ETT(string template)
    {
        EttHoldsBothOrganizationsResources();

        var response = await CallerForA().GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, A, ContractOfB, B));

        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, $"{response.StatusCode}");
        Assert.DoesNotContain(Upstreams.EttRequests, r => r.Path.Contains(ContractOfB.ToString(), StringComparison.Ordinal) || r.Path.Contains(ReportOfB.ToString(), StringComparison.Ordinal));
        if (response.StatusCode == HttpStatusCode.Forbidden) Assert.Empty(Upstreams.EttRequests);
    }
}
