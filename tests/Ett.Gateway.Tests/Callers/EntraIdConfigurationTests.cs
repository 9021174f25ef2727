using System.Net;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Tests.Callers;

/// <summary>
/// Entra ID through the real Microsoft.Identity.Web pipeline: its https authority is served by the loopback fake
/// (discovery and keys of the test signing key) through the JwtBearer backchannel, so tokens keep Entra's own issuers.
/// </summary>
public abstract class EntraIdTest : GatewayTest
{
    protected const string AppId = "0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9";
    protected static readonly Guid Tenant = Guid.Parse("6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b");
    protected static readonly Guid PartnerTenant = Guid.Parse("7a2b3c4d-5e6f-4071-8b8c-9d0e1f2a3b4c");
    protected static readonly Guid ForeignTenant = Guid.Parse("8b3c4d5e-6f70-4182-9c9d-0e1f2a3b4c5d");
    protected const string CallingApp = "1c2d3e4f-5061-4728-9394-a5b6c7d8e9f0";

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("AzureAd:Instance", FakeUpstreams.EntraInstance);
        builder.UseSetting("AzureAd:ClientId", AppId);
        ConfigureEntra(builder);
        builder.ConfigureTestServices(services => services.Configure<JwtBearerOptions>(
            JwtBearerDefaults.AuthenticationScheme, jwt => jwt.BackchannelHttpHandler = Upstreams.EntraLoopback()));
    }

    protected abstract void ConfigureEntra(IWebHostBuilder builder);

    protected async Task<HttpStatusCode> CallAsync(string token)
    {
        var before = Upstreams.EttRequests.Count;
        var response = await Gateway.CreateCaller(token).GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        if (response.StatusCode != HttpStatusCode.OK) Assert.Equal(before, Upstreams.EttRequests.Count);
        return response.StatusCode;
    }
}

public class EntraIdConfigurationTests : EntraIdTest
{
    private static readonly Guid Restricted = Guid.Parse("5a4d0000-0000-4000-8000-0000000000e1");

    protected override void ConfigureEntra(IWebHostBuilder builder)
    {
        builder.UseSetting("AzureAd:TenantId", Tenant.ToString());
        builder.UseSetting($"Callers:Organizations:{CallingApp.ToUpperInvariant()}:0", Restricted.ToString());
    }

    [Fact]
    public void AzureAd_settings_select_Microsoft_Identity_Web_for_the_tenant_instead_of_the_generic_issuer()
    {
        var jwt = Gateway.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(JwtBearerDefaults.AuthenticationScheme);

        Assert.Equal($"https://login.microsoftonline.com/{Tenant}/v2.0", jwt.Authority);
        Assert.NotEqual(Upstreams.Issuer, jwt.Authority);
        Assert.True(jwt.TokenValidationParameters.ValidateAudience);
    }

    public static TheoryData<string, string> VersionsAndAudiences => new()
    {
        { "2.0", AppId },
        { "2.0", $"api://{AppId}" },
        { "1.0", $"api://{AppId}" },
        { "1.0", AppId },
    };

    [Theory]
    [MemberData(nameof(VersionsAndAudiences))]
    public async Task Entra_app_tokens_of_both_versions_with_either_audience_reach_ett(string version, string audience)
    {
        Assert.Equal(HttpStatusCode.OK, await CallAsync(Upstreams.EntraToken(version, Tenant, audience, "2d3e4f50-6172-4839-a4a5-b6c7d8e9f0a1")));
        Assert.Single(Upstreams.EttRequests);
    }

    public static TheoryData<string, string> RefusedTokens => new()
    {
        { "2.0", "foreign-tenant" },
        { "1.0", "foreign-tenant" },
        { "2.0", "foreign-tid-under-our-issuer" },
        { "1.0", "our-tid-under-a-foreign-issuer" },
        { "2.0", "look-alike-issuer" },
        { "2.0", "other-audience" },
        { "1.0", "other-app-id-uri" },
        { "2.0", "expired-beyond-callers-clock-skew" },
        { "1.0", "signed-by-another-key" },
    };

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task Entra_tokens_from_outside_the_tenant_or_for_another_app_are_refused_before_ett(string version, string kind)
    {
        var token = kind switch
        {
            "foreign-tenant" => Upstreams.EntraToken(version, ForeignTenant, AppId, CallingApp),
            "foreign-tid-under-our-issuer" => Upstreams.EntraToken(version, ForeignTenant, AppId, CallingApp, issuer: $"{FakeUpstreams.EntraInstance}{Tenant}/v2.0"),
            "our-tid-under-a-foreign-issuer" => Upstreams.EntraToken(version, Tenant, AppId, CallingApp, issuer: $"https://sts.windows.net/{ForeignTenant}/"),
            "look-alike-issuer" => Upstreams.EntraToken(version, Tenant, AppId, CallingApp, issuer: $"https://login.microsoftonline.com.evil.example/{Tenant}/v2.0"),
            "other-audience" => Upstreams.EntraToken(version, Tenant, "3e4f5061-7283-494a-b5b6-c7d8e9f0a1b2", CallingApp),
            "other-app-id-uri" => Upstreams.EntraToken(version, Tenant, "api://someone-else", CallingApp),
            // Microsoft.Identity.Web's own 5-minute skew would accept it; Callers:ClockSkew (1 minute) does not.
            "expired-beyond-callers-clock-skew" => Upstreams.EntraToken(version, Tenant, AppId, CallingApp, expires: TestClock.Start.UtcDateTime.AddMinutes(-2)),
            "signed-by-another-key" => ForeignSigned(version),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(token));
        Assert.Empty(Upstreams.EttRequests);
        Assert.Empty(Upstreams.TokenRequests);
    }

    [Fact]
    public async Task Entra_token_expired_within_callers_clock_skew_is_accepted()
    {
        // An app without an organization list of its own (CallingApp is restricted by this class's configuration).
        var token = Upstreams.EntraToken("2.0", Tenant, AppId, "2d3e4f50-6172-4839-a4a5-b6c7d8e9f0a1", expires: TestClock.Start.UtcDateTime.AddSeconds(-30));

        Assert.Equal(HttpStatusCode.OK, await CallAsync(token));
    }

    [Fact]
    public async Task Entra_app_without_any_role_is_authenticated_and_forbidden_not_unauthorized()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await CallAsync(Upstreams.EntraToken("2.0", Tenant, AppId, CallingApp, roles: [])));
    }

    [Fact]
    public async Task Entra_app_ids_match_organization_lists_written_in_another_case()
    {
        Upstreams.TokenOrganizations = [Restricted];
        var token = Upstreams.EntraToken("2.0", Tenant, AppId, CallingApp);
        var caller = Gateway.CreateCaller(token);

        var allowed = await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Restricted}");
        var other = await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
    }

    private string ForeignSigned(string version)
    {
        var published = Upstreams.PublishedCallerKeys.Single();
        var foreign = Upstreams.RotateCallerKey(published.KeyId!);
        Upstreams.PublishedCallerKeys.Remove(foreign);
        return Upstreams.EntraToken(version, Tenant, AppId, CallingApp);
    }
}

public class EntraIdMultiTenantTests : EntraIdTest
{
    protected override void ConfigureEntra(IWebHostBuilder builder)
    {
        builder.UseSetting("AzureAd:TenantId", "organizations");
        builder.UseSetting("AzureAd:AllowedTenants:0", Tenant.ToString());
        builder.UseSetting("AzureAd:AllowedTenants:1", PartnerTenant.ToString());
    }

    [Fact]
    public async Task With_organizations_only_the_listed_tenants_get_in()
    {
        Assert.Equal(HttpStatusCode.OK, await CallAsync(Upstreams.EntraToken("2.0", Tenant, AppId, CallingApp)));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(Upstreams.EntraToken("1.0", PartnerTenant, $"api://{AppId}", CallingApp)));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(Upstreams.EntraToken("2.0", ForeignTenant, AppId, CallingApp)));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(Upstreams.EntraToken("1.0", ForeignTenant, $"api://{AppId}", CallingApp)));
        Assert.Equal(2, Upstreams.EttRequests.Count);
    }
}
