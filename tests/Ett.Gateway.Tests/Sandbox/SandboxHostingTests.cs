using System.Net;
using Ett.Sandbox;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Ett.Sandbox.SandboxSeed;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>
/// The sandbox embedded in a host shaped like the gateway: authentication with a fallback policy, status-code pages
/// and an API explorer. The sandbox must stay anonymous, keep ETT's empty bodies and stay out of the API description.
/// </summary>
public sealed class SandboxHostingTests : IAsyncLifetime
{
    private WebApplication _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddEttSandbox();
        _host = builder.Build();
        _host.UseStatusCodePages();
        _host.UseAuthentication();
        _host.UseAuthorization();
        _host.MapGet("/gateway-endpoint", () => "gateway");
        _host.MapEttSandbox();
        await _host.StartAsync();
        _client = _host.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Sandbox_is_anonymous_under_the_hosts_fallback_policy()
    {
        using var token = await _client.PostAsync("/sandbox/ett-token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = EttClientId,
            ["client_secret"] = EttClientSecret,
        }));
        using var discovery = await _client.GetAsync("/sandbox/idp/.well-known/openid-configuration");
        using var gateway = await _client.GetAsync("/gateway-endpoint");

        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, gateway.StatusCode);
    }

    [Fact]
    public async Task Sandbox_401_stays_empty_under_the_hosts_status_code_pages()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sandbox/ett/api/authorization/client/consents")
        {
            Headers = { { "X-API-Version", "1" }, { "Authorization", "Bearer not-a-token" } },
        };

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public void Sandbox_endpoints_are_left_out_of_the_hosts_api_description()
    {
        var paths = _host.Services.GetRequiredService<IApiDescriptionGroupCollectionProvider>().ApiDescriptionGroups.Items
            .SelectMany(g => g.Items)
            .Select(d => d.RelativePath)
            .ToList();

        Assert.Contains("gateway-endpoint", paths);
        Assert.DoesNotContain(paths, p => p!.StartsWith("sandbox", StringComparison.Ordinal));
    }
}

public class SandboxEnvironmentTests
{
    private static Microsoft.AspNetCore.Builder.WebApplicationBuilder Builder(string environment, bool optIn = false)
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder(new Microsoft.AspNetCore.Builder.WebApplicationOptions { EnvironmentName = environment });
        builder.Configuration["Sandbox:Enabled"] = "true";
        if (optIn) builder.Configuration["Sandbox:AllowOutsideDevelopment"] = "true";
        return builder;
    }

    [Theory]
    [InlineData("Staging", false)]
    [InlineData("Staging", true)]
    [InlineData("Production", true)]
    public void Sandbox_is_refused_in_staging_and_production_even_with_the_opt_in(string environment, bool optIn)
    {
        var failure = Assert.Throws<InvalidOperationException>(() => Gateway.Sandbox.SandboxHosting.AddSandbox(Builder(environment, optIn)));

        Assert.Contains(environment, failure.Message);
    }

    [Fact]
    public void Sandbox_outside_development_needs_the_explicit_opt_in()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => Gateway.Sandbox.SandboxHosting.AddSandbox(Builder("Testing")));

        Assert.Contains("Sandbox:AllowOutsideDevelopment", failure.Message);
    }

    [Fact]
    public async Task Sandbox_opted_in_outside_development_warns_at_start()
    {
        var builder = Builder("Testing", optIn: true);
        var logs = new Microsoft.Extensions.Logging.Testing.FakeLogCollector();
        builder.Logging.AddProvider(new Microsoft.Extensions.Logging.Testing.FakeLoggerProvider(logs));
        Gateway.Sandbox.SandboxHosting.AddSandbox(builder);
        await using var app = builder.Build();

        await app.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<Gateway.Sandbox.SandboxOutsideDevelopmentWarning>().Single().StartAsync(CancellationToken.None);

        Assert.Contains(logs.GetSnapshot(), r => r.Level == Microsoft.Extensions.Logging.LogLevel.Warning && r.Message.Contains("Sandbox:AllowOutsideDevelopment=true"));
    }
}
