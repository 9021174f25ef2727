using System.Net;
using System.Net.Http.Headers;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Ett.Gateway.Tests.Callers;

public class CallerAuthenticationTests : GatewayTest
{
    public static TheoryData<string> BadTokens => ["expired", "wrong-audience", "wrong-issuer", "alg-none", "bad-signature"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Bad_caller_token_gets_401_and_nothing_reaches_ett(string kind)
    {
        var token = kind switch
        {
            "expired" => Upstreams.CallerToken(expires: TestClock.Start.UtcDateTime.AddHours(-2)),
            "wrong-audience" => Upstreams.CallerToken(audience: "api://someone-else"),
            "wrong-issuer" => Upstreams.CallerToken(issuer: "https://evil.example/"),
            "alg-none" => Upstreams.CallerTokenWithoutSignature(),
            "bad-signature" => Upstreams.CallerTokenWithForeignSignature(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var response = await Gateway.CreateCaller(token).GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(Upstreams.TokenRequests);
        Assert.Empty(Upstreams.EttRequests);
    }

    [Fact]
    public async Task Caller_without_a_token_gets_401_problem_details()
    {
        var response = await Gateway.CreateClient().GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(Upstreams.EttRequests);
    }

    [Fact]
    public async Task Valid_caller_token_reaches_ett()
    {
        var response = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(Upstreams.EttRequests);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/swagger/index.html")]
    [InlineData("/openapi/v1.json")]
    public async Task Health_swagger_and_the_openapi_document_are_open_to_anonymous_callers(string path)
    {
        var response = await Gateway.CreateClient().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Read_only_caller_may_read_but_not_write_through_the_passthrough()
    {
        var reader = Gateway.CreateCaller(Upstreams.CallerToken(roles: ["Ett.Read"]));

        var read = await reader.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        var write = await reader.PostAsync($"/ett/wallet-api/transfers?organizationId={Upstreams.OwnOrganization}", new StringContent("{}", new MediaTypeHeaderValue("application/json")));

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Single(Upstreams.EttRequests);
    }

    [Fact]
    public async Task Caller_without_any_ett_permission_is_forbidden()
    {
        var response = await Gateway.CreateCaller(Upstreams.CallerToken(roles: [])).GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(Upstreams.EttRequests);
    }
}

public class CallerOrganizationTests : GatewayTest
{
    private static readonly Guid Allowed = Guid.Parse("6a3b1e52-0000-4000-8000-000000000001");

    protected override void Configure(IWebHostBuilder builder) =>
        builder.UseSetting("Callers:Organizations:restricted-app:0", Allowed.ToString());

    [Fact]
    public async Task Caller_limited_to_some_organizations_is_refused_the_others()
    {
        Upstreams.TokenOrganizations = [Allowed];
        var restricted = Gateway.CreateCaller(Upstreams.CallerToken(clientId: "restricted-app"));

        var allowed = await restricted.GetAsync($"/ett/wallet-api/wallets?organizationId={Allowed}");
        var other = await restricted.GetAsync($"/ett/wallet-api/wallets?organizationId={Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Single(Upstreams.EttRequests, r => r.Path == "/wallet-api/wallets");
    }

    [Fact]
    public async Task Callers_not_listed_may_use_every_organization_by_default()
    {
        var organization = Guid.NewGuid();
        Upstreams.TokenOrganizations = [organization];

        var response = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={organization}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
