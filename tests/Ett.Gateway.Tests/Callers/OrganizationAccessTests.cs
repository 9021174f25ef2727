using System.Net;
using System.Net.Http.Json;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Ett.Gateway.Tests.Callers;

/// <summary>Organization access that can restrict: configured lists replace the default, empty means none.</summary>
public class OrganizationAccessTests : IAsyncLifetime
{
    private static readonly Guid A = Guid.Parse("6a3b1e52-0000-4000-8000-00000000000a");
    private static readonly Guid B = Guid.Parse("6a3b1e52-0000-4000-8000-00000000000b");

    private FakeUpstreams upstreams = null!;

    public async Task InitializeAsync()
    {
        upstreams = await FakeUpstreams.StartAsync();
        upstreams.TokenOrganizations = [A, B];
    }

    public async Task DisposeAsync() => await upstreams.DisposeAsync();

    private GatewayFactory Gateway(params (string Key, string Value)[] settings) =>
        new(upstreams, builder => { foreach (var (key, value) in settings) builder.UseSetting(key, value); });

    /// <summary>Organization B through every kind of endpoint that names an organization.</summary>
    public static TheoryData<string> PathsToB => new()
    {
        $"/organizations/{B}/wallet",
        $"/organizations/{B}/certificates",
        $"/organizations/{B}/contracts",
        $"/organizations/{B}/partners",
        $"/organizations/{B}/operations",
        $"/ett/wallet-api/wallets?organizationId={B}",
    };

    [Theory]
    [MemberData(nameof(PathsToB))]
    public async Task A_restricted_default_restricts_callers_that_are_not_listed(string path)
    {
        await using var gateway = Gateway(("Callers:DefaultOrganizations:0", A.ToString()));
        var caller = gateway.CreateCaller(upstreams.CallerToken(clientId: "unlisted-app"));

        var toB = await caller.GetAsync(path);
        var toA = await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={A}");

        Assert.Equal(HttpStatusCode.Forbidden, toB.StatusCode);
        Assert.Contains(B.ToString(), (await toB.Content.ReadFromJsonAsync<ProblemBody>())!.Detail);
        Assert.Equal(HttpStatusCode.OK, toA.StatusCode);
        Assert.Single(upstreams.EttRequests);
        Assert.Single(upstreams.TokenRequests);
    }

    [Fact]
    public async Task An_empty_default_means_no_organization_at_all()
    {
        await using var gateway = Gateway(("Callers:DefaultOrganizations", ""));
        var caller = gateway.CreateCaller(upstreams.CallerToken(clientId: "unlisted-app"));

        var response = await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={A}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(upstreams.EttRequests);
        Assert.Empty(upstreams.TokenRequests);
    }

    [Fact]
    public async Task Without_any_setting_every_caller_may_act_for_every_organization()
    {
        await using var gateway = Gateway();
        var caller = gateway.CreateCaller(upstreams.CallerToken(clientId: "unlisted-app"));

        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={B}")).StatusCode);
    }

    [Fact]
    public async Task A_listed_caller_gets_its_list_instead_of_the_default()
    {
        await using var gateway = Gateway(("Callers:Organizations:listed-app:0", A.ToString()));
        var caller = gateway.CreateCaller(upstreams.CallerToken(clientId: "listed-app"));

        var toB = await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={B}");

        Assert.Equal(HttpStatusCode.Forbidden, toB.StatusCode);
        Assert.Empty(upstreams.EttRequests);
    }

    [Theory]
    [InlineData("Callers:Organizations:LISTED-APP:0", "listed-app")]
    [InlineData("Callers:Organizations:listed-app:0", "LISTED-APP")]
    public async Task Caller_ids_are_compared_ignoring_case(string key, string clientId)
    {
        await using var gateway = Gateway((key, A.ToString()), ("Callers:DefaultOrganizations:0", B.ToString()));
        var caller = gateway.CreateCaller(upstreams.CallerToken(clientId: clientId));

        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={A}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={B}")).StatusCode);
    }

    [Fact]
    public async Task A_caller_id_with_colons_is_configured_in_the_access_list()
    {
        await using var gateway = Gateway(
            ("Callers:Access:0:Caller", "API://Company/App:Reporting"),
            ("Callers:Access:0:Organizations:0", A.ToString()),
            ("Callers:DefaultOrganizations", ""));
        var caller = gateway.CreateCaller(upstreams.CallerToken(clientId: "api://company/app:reporting"));

        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={A}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={B}")).StatusCode);
    }

    [Theory]
    [InlineData("Role", "Ett.Read", "roles")]
    [InlineData("Group", "3f1c0000-0000-4000-8000-0000000000aa", "groups")]
    public async Task Access_can_be_granted_by_role_or_group(string kind, string value, string claim)
    {
        await using var gateway = Gateway(
            ($"Callers:Access:0:{kind}", value),
            ("Callers:Access:0:Organizations:0", A.ToString()),
            ("Callers:DefaultOrganizations", ""));
        var holder = gateway.CreateCaller(claim == "roles"
            ? upstreams.CallerToken(roles: ["Ett.Read"])
            : upstreams.CallerToken(roles: ["Ett.Read"], claims: new Dictionary<string, object> { ["groups"] = new[] { value } }));
        var other = gateway.CreateCaller(upstreams.CallerToken(roles: ["Ett.Write"], claims: new Dictionary<string, object> { ["groups"] = new[] { "someone-else" } }));

        Assert.Equal(HttpStatusCode.OK, (await holder.GetAsync($"/ett/wallet-api/wallets?organizationId={A}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await holder.GetAsync($"/ett/wallet-api/wallets?organizationId={B}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync($"/ett/wallet-api/wallets?organizationId={A}")).StatusCode);
        Assert.Single(upstreams.EttRequests);
    }

    [Fact]
    public async Task A_caller_matching_several_entries_gets_them_all()
    {
        await using var gateway = Gateway(
            ("Callers:Access:0:Caller", "multi-app"), ("Callers:Access:0:Organizations:0", A.ToString()),
            ("Callers:Access:1:Role", "Ett.Claim"), ("Callers:Access:1:Organizations:0", B.ToString()),
            ("Callers:DefaultOrganizations", ""));
        var caller = gateway.CreateCaller(upstreams.CallerToken(clientId: "multi-app", roles: ["Ett.Claim"]));

        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={A}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={B}")).StatusCode);
    }

    private sealed record ProblemBody(string? Type, string? Detail);
}
