using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Gateway.Tests.OpenApi;

/// <summary>
/// The real gateway with production-like settings (no sandbox) and a fallback policy that refuses anonymous callers,
/// so anything these tests can fetch without a token is anonymous on purpose.
/// </summary>
public sealed class GatewayDocumentsFactory : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Sandbox:Enabled", "false");
        builder.UseSetting("Ett:BaseUrl", "https://ett.invalid");
        builder.UseSetting("Ett:TokenUrl", "https://ett-idp.invalid/oauth2/v2.0/token");
        builder.UseSetting("Ett:Scope", "https://ett-idp.invalid/energy-origin/.default");
        builder.UseSetting("Ett:ClientId", "export-client");
        builder.UseSetting("Ett:ClientSecret", "export-secret");
        builder.UseSetting("Callers:Authority", "https://callers-idp.invalid");
        builder.UseSetting("Callers:Audience", "api://ett-gateway");
        builder.UseSetting("OpenApi:TokenUrl", "/sandbox/idp/connect/token");
        builder.ConfigureTestServices(services => services.AddAuthorization(options =>
            options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build()));
    }
}
