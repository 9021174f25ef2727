using System.Net;
using System.Net.Http.Json;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Ett.Gateway.Tests.Callers;

/// <summary>Keycloak- and Auth0-shaped tokens through the generic issuer: nested and namespaced role claims, several audiences.</summary>
public class CallerIdentityProviderTests : GatewayTest
{
    private static readonly Guid Allowed = Guid.Parse("6a3b1e52-0000-4000-8000-0000000000a1");

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Callers:RoleClaims:0", "realm_access.roles");
        builder.UseSetting("Callers:RoleClaims:1", "resource_access.ett-gateway.roles");
        builder.UseSetting("Callers:RoleClaims:2", "https://ett.example.com/roles");
        builder.UseSetting("Callers:Audiences:0", "ett-gateway");
        builder.UseSetting("Callers:Organizations:Restricted-App:0", Allowed.ToString());
    }

    public static TheoryData<string> RoleShapes => ["keycloak-realm", "keycloak-client", "auth0-namespaced"];

    [Theory]
    [MemberData(nameof(RoleShapes))]
    public async Task Roles_at_a_configured_claim_path_grant_their_permission(string shape)
    {
        var claims = shape switch
        {
            "keycloak-realm" => new Dictionary<string, object> { ["realm_access"] = new Dictionary<string, object> { ["roles"] = new[] { "offline_access", "Ett.Read" } } },
            "keycloak-client" => new Dictionary<string, object>
            {
                ["resource_access"] = new Dictionary<string, object> { ["ett-gateway"] = new Dictionary<string, object> { ["roles"] = new[] { "Ett.Read" } } },
            },
            "auth0-namespaced" => new Dictionary<string, object> { ["https://ett.example.com/roles"] = new[] { "Ett.Read" } },
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };
        var reader = Gateway.CreateCaller(Upstreams.CallerToken(roles: [], claims: claims));

        var read = await reader.GetAsync("/ett/wallet-api/wallets");
        var write = await reader.PostAsync("/ett/wallet-api/transfers", JsonContent.Create(new { }));

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Single(Upstreams.EttRequests);
    }

    [Fact]
    public async Task Roles_at_a_path_nobody_configured_grant_nothing()
    {
        var claims = new Dictionary<string, object>
        {
            ["groups"] = new[] { "Ett.Read", "Ett.Write" },
            ["realm_access"] = new Dictionary<string, object> { ["groups"] = new[] { "Ett.Write" } },
            ["resource_access"] = new Dictionary<string, object> { ["another-app"] = new Dictionary<string, object> { ["roles"] = new[] { "Ett.Write" } } },
        };

        var response = await Gateway.CreateCaller(Upstreams.CallerToken(roles: [], claims: claims)).GetAsync("/ett/wallet-api/wallets");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(Upstreams.EttRequests);
    }

    [Theory]
    [InlineData(FakeUpstreams.Audience, HttpStatusCode.OK)]
    [InlineData("ett-gateway", HttpStatusCode.OK)]
    [InlineData("account", HttpStatusCode.Unauthorized)]
    [InlineData("ETT-GATEWAY", HttpStatusCode.Unauthorized)]
    public async Task Every_configured_audience_is_accepted_and_no_other(string audience, HttpStatusCode expected)
    {
        var response = await Gateway.CreateCaller(Upstreams.CallerToken(audience: audience)).GetAsync("/ett/wallet-api/wallets");

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(expected == HttpStatusCode.OK ? 1 : 0, Upstreams.EttRequests.Count);
    }

    [Fact]
    public async Task Caller_ids_in_the_organization_lists_are_compared_case_insensitively()
    {
        Upstreams.TokenOrganizations = [Allowed];
        var restricted = Gateway.CreateCaller(Upstreams.CallerToken(clientId: "restricted-app"));

        var allowed = await restricted.GetAsync($"/ett/wallet-api/wallets?organizationId={Allowed}");
        var other = await restricted.GetAsync($"/ett/wallet-api/wallets?organizationId={Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Single(Upstreams.EttRequests, r => r.Path == "/wallet-api/wallets");
    }
}
