using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Ett.Gateway.Tests.Passthrough;

/// <summary>The passthrough's organization check, tried the ways ETT's model binding could be fooled; each refusal calls nothing.</summary>
public class PassthroughAccessTests : GatewayTest
{
    private static readonly Guid A = Guid.Parse("9a550000-0000-4000-8000-00000000000a");
    private static readonly Guid B = Guid.Parse("9a550000-0000-4000-8000-00000000000b");

    protected override void Configure(IWebHostBuilder builder) =>
        builder.UseSetting("Callers:Organizations:a-only-app:0", A.ToString());

    private HttpClient Restricted(params string[] roles) =>
        Gateway.CreateCaller(Upstreams.CallerToken(clientId: "a-only-app", roles: roles.Length == 0 ? ["Ett.Read", "Ett.Write", "Ett.Admin"] : roles));

    public static TheoryData<string, HttpStatusCode> OrganizationQueries => new()
    {
        { $"organizationId={B}", HttpStatusCode.Forbidden },
        { $"OrganizationId={B}", HttpStatusCode.Forbidden },
        { $"organizationId={B}&organizationId={A}", HttpStatusCode.BadRequest },
        { $"organizationId={B}&OrganizationId={A}", HttpStatusCode.BadRequest },
        { $"organizationId={A}&ORGANIZATIONID={B}", HttpStatusCode.BadRequest },
        { $"organizationId={A},{B}", HttpStatusCode.BadRequest },
        { $"organizationId={B:N}x", HttpStatusCode.BadRequest },
        { "organizationId=", HttpStatusCode.BadRequest },
        { $"organizationId={Guid.Empty}", HttpStatusCode.BadRequest },
        { "", HttpStatusCode.BadRequest },
        { $"organization%49d={B}", HttpStatusCode.Forbidden },
    };

    [Theory]
    [MemberData(nameof(OrganizationQueries))]
    public async Task An_organization_the_caller_lacks_never_reaches_ett_in_any_spelling(string query, HttpStatusCode expected)
    {
        Upstreams.TokenOrganizations = [A, B];

        var read = await Restricted().GetAsync($"/ett/wallet-api/wallets?{query}");
        var write = await Restricted().PostAsync($"/ett/wallet-api/transfers?{query}", new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.Equal(expected, read.StatusCode);
        Assert.Equal(expected, write.StatusCode);
        Assert.Contains(expected == HttpStatusCode.Forbidden ? B.ToString() : "organizationId", (await read.Content.ReadAsStringAsync()));
        Assert.Empty(Upstreams.EttRequests);
        Assert.Empty(Upstreams.TokenRequests);
    }

    [Theory]
    [InlineData("GET", "/ett/api/authorization/client/consents")]
    [InlineData("GET", "/ett/api/authorization/clients/gateway-client/credentials")]
    [InlineData("POST", "/ett/api/authorization/clients/gateway-client/credentials")]
    [InlineData("DELETE", "/ett/api/authorization/clients/gateway-client/credentials/5b1c0000-0000-4000-8000-000000000001")]
    public async Task Operations_about_every_organization_are_refused_to_a_restricted_caller(string method, string path)
    {
        var response = await Restricted().SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("every organization", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Empty(Upstreams.EttRequests);
        Assert.Empty(Upstreams.TokenRequests);
    }

    [Theory]
    [InlineData("GET", "/ett/api/authorization/clients/gateway-client/credentials", "Ett.Read")]
    [InlineData("POST", "/ett/api/authorization/clients/gateway-client/credentials", "Ett.Write")]
    [InlineData("DELETE", "/ett/api/authorization/clients/gateway-client/credentials/5b1c0000-0000-4000-8000-000000000001", "Ett.Write")]
    public async Task The_gateways_own_ett_credentials_need_ett_admin(string method, string path, string role)
    {
        var caller = Gateway.CreateCaller(Upstreams.CallerToken(roles: [role]));
        var admin = Gateway.CreateCaller(Upstreams.CallerToken(roles: ["Ett.Admin"]));

        var refused = await caller.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("Ett.Admin", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Empty(Upstreams.EttRequests);
        Assert.Empty(Upstreams.TokenRequests);

        var allowed = await admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Single(Upstreams.EttRequests);
    }

    [Fact]
    public async Task The_consent_list_is_read_by_a_read_only_caller_that_may_act_for_every_organization()
    {
        var response = await Gateway.CreateCaller(Upstreams.CallerToken(roles: ["Ett.Read"])).GetAsync("/ett/api/authorization/client/consents");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(Upstreams.EttRequests);
    }

    [Fact]
    public async Task A_caller_without_any_permission_is_told_which_one_it_lacks()
    {
        var response = await Gateway.CreateCaller(Upstreams.CallerToken(roles: [])).GetAsync($"/ett/wallet-api/wallets?organizationId={A}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://ett-gateway/problems/forbidden", problem.GetProperty("type").GetString());
        Assert.Contains("Ett.Read", problem.GetProperty("detail").GetString());
        Assert.Empty(Upstreams.EttRequests);
    }
}
