using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Tests.Callers;

public class EntraIdConfigurationTests : GatewayTest
{
    private const string TenantId = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b";
    private const string AppId = "0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9";

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("AzureAd:Instance", "https://login.microsoftonline.com/");
        builder.UseSetting("AzureAd:TenantId", TenantId);
        builder.UseSetting("AzureAd:ClientId", AppId);
    }

    [Fact]
    public void AzureAd_settings_select_Microsoft_Identity_Web_for_the_tenant_instead_of_the_generic_issuer()
    {
        var jwt = Gateway.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(JwtBearerDefaults.AuthenticationScheme);

        Assert.Equal($"https://login.microsoftonline.com/{TenantId}/v2.0", jwt.Authority);
        Assert.NotEqual(Upstreams.Issuer, jwt.Authority);
        Assert.True(jwt.TokenValidationParameters.ValidateAudience);
    }

    [Fact]
    public async Task With_Entra_ID_a_token_from_another_issuer_is_refused()
    {
        var response = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(Upstreams.EttRequests);
    }
}
