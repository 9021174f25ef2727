using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>
/// ETT's PDF reports as the sandbox simulates them (energy-origin Transfer.API <c>ReportsController</c>,
/// <c>DownloadReportCommandHandler</c>): a client-credentials token cannot start one, lists are the organization's,
/// and a download goes by report id alone — any organization the token covers downloads any report.
/// </summary>
public sealed class SandboxReportsTests : SandboxTestBase
{
    private static readonly Guid Producer = SandboxSeed.ProducerOrganizationId;
    private static readonly Guid Consumer = SandboxSeed.ConsumerOrganizationId;

    [Fact]
    public async Task A_client_credentials_token_cannot_start_a_report_as_it_has_no_org_cvr()
    {
        var response = await Ett.PostAsJsonAsync($"api/reports?organizationId={Producer}", new { startDate = 1_780_000_000L, endDate = 1_790_000_000L });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Organization must have a valid tin.", await response.Content.ReadAsStringAsync());
        var list = await Ett.GetFromJsonAsync<JsonElement>($"api/reports?organizationId={Producer}");
        Assert.Equal(2, list.GetProperty("result").GetArrayLength());
    }

    [Fact]
    public async Task The_list_holds_the_organizations_own_reports_with_their_status()
    {
        var list = await Ett.GetFromJsonAsync<JsonElement>($"api/reports?organizationId={Producer}");

        var reports = list.GetProperty("result").EnumerateArray().Select(r => (r.GetProperty("id").GetGuid(), r.GetProperty("status").GetString())).ToList();
        Assert.Equal([(SandboxSeed.ProducerReportId, "Completed"), (SandboxSeed.ProducerPendingReportId, "Pending")], reports);
    }

    [Fact]
    public async Task A_report_downloads_under_any_organization_the_token_covers_and_not_before_it_is_completed()
    {
        using var own = await Ett.GetAsync($"api/reports/{SandboxSeed.ProducerReportId}/download?organizationId={Producer}");
        using var another = await Ett.GetAsync($"api/reports/{SandboxSeed.ConsumerReportId}/download?organizationId={Producer}");
        using var pending = await Ett.GetAsync($"api/reports/{SandboxSeed.ProducerPendingReportId}/download?organizationId={Producer}");
        using var unknown = await Ett.GetAsync($"api/reports/{Guid.Empty}/download?organizationId={Producer}");

        Assert.Equal((HttpStatusCode.OK, "application/pdf"), (own.StatusCode, own.Content.Headers.ContentType?.MediaType));
        Assert.StartsWith("%PDF", await own.Content.ReadAsStringAsync());
        // ETT's leak, which the gateway's passthrough closes (ResourceOwnershipTests, and below).
        Assert.Equal(HttpStatusCode.OK, another.StatusCode);
        Assert.Contains(Consumer.ToString(), await another.Content.ReadAsStringAsync());
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (pending.StatusCode, unknown.StatusCode));
    }

    [Fact]
    public async Task An_organization_the_token_does_not_cover_is_refused_with_etts_error()
    {
        var response = await Ett.GetAsync($"api/reports?organizationId={SandboxSeed.UnconsentedOrganizationId}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(403, error.GetProperty("statusCode").GetInt32());
        Assert.Equal($"Not authorized to access organization with id {SandboxSeed.UnconsentedOrganizationId}", error.GetProperty("description").GetString());
    }
}

/// <summary>The sandbox's reports through the gateway's passthrough: the organization's own report downloads, another's does not.</summary>
public sealed class ReportsThroughGatewayTests : IAsyncLifetime
{
    private SandboxGateway _env = null!;

    public async Task InitializeAsync() => _env = await SandboxGateway.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task Only_a_report_in_the_organizations_own_list_is_downloaded()
    {
        var caller = await _env.CreateCallerAsync();
        var producer = SandboxSeed.ProducerOrganizationId;

        using var own = await caller.GetAsync($"/ett/api/reports/{SandboxSeed.ProducerReportId}/download?organizationId={producer}");
        using var another = await caller.GetAsync($"/ett/api/reports/{SandboxSeed.ConsumerReportId}/download?organizationId={producer}");

        Assert.Equal((HttpStatusCode.OK, "application/pdf"), (own.StatusCode, own.Content.Headers.ContentType?.MediaType));
        Assert.Equal(HttpStatusCode.NotFound, another.StatusCode);
        var downloads = _env.Sandbox.State.Requests.Where(r => r.Path.EndsWith("/download", StringComparison.Ordinal)).Select(r => r.Path).ToList();
        Assert.Equal([$"/sandbox/ett/api/reports/{SandboxSeed.ProducerReportId}/download"], downloads);
    }
}
