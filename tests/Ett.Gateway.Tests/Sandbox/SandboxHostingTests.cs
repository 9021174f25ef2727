using System.Net;
using Ett.Sandbox;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
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

/// <summary><c>Sandbox:Url</c>: the gateway uses a standalone sandbox (src/Ett.Sandbox.Host) instead of hosting one.</summary>
public sealed class StandaloneSandboxSettingsTests : IDisposable
{
    private readonly string _contentRoot = Directory.CreateTempSubdirectory("ett-gateway-standalone-").FullName;

    private WebApplicationBuilder Builder(string environment, Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment, ContentRootPath = _contentRoot });
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    [Fact]
    public void The_one_setting_points_every_unset_ett_and_caller_setting_at_the_standalone_sandbox_and_hosts_none()
    {
        var builder = Builder("Development", new() { ["Sandbox:Enabled"] = "true", ["Sandbox:Url"] = "http://localhost:5090/", ["Callers:Audience"] = "api://mine" });

        Gateway.Sandbox.SandboxHosting.AddSandbox(builder);

        Assert.Equal("http://localhost:5090/sandbox/ett", builder.Configuration["Ett:BaseUrl"]);
        Assert.Equal("http://localhost:5090/sandbox/ett-token", builder.Configuration["Ett:TokenUrl"]);
        Assert.Equal(EttClientId, builder.Configuration["Ett:ClientId"]);
        Assert.Equal("http://localhost:5090/sandbox/idp", builder.Configuration["Callers:Authority"]);
        Assert.Equal("api://mine", builder.Configuration["Callers:Audience"]);
        Assert.Equal("http://localhost:5090/sandbox/idp/connect/token", builder.Configuration["OpenApi:TokenUrl"]);
        Assert.DoesNotContain(builder.Services, s => s.ServiceType == typeof(SandboxState));
        Assert.True(Gateway.Sandbox.SandboxHosting.UsesSandbox(builder.Configuration));
    }

    [Fact]
    public void The_journal_beside_a_standalone_sandbox_survives_a_start_and_the_in_process_one_does_not()
    {
        var standalone = Path.Combine(_contentRoot, "data", "standalone-sandbox");
        var inProcess = Path.Combine(_contentRoot, "data", "sandbox");
        Directory.CreateDirectory(standalone);
        File.WriteAllText(Path.Combine(standalone, "operations.db"), "journal");
        Directory.CreateDirectory(inProcess);

        var builder = Builder("Development", new() { ["Sandbox:Url"] = "http://localhost:5090" });
        Gateway.Sandbox.SandboxHosting.AddSandbox(builder);

        Assert.Equal("data/standalone-sandbox", builder.Configuration["Operations:DataDirectory"]);
        Assert.Equal("journal", File.ReadAllText(Path.Combine(standalone, "operations.db")));
        Assert.True(Directory.Exists(inProcess), "a standalone sandbox must leave the in-process sandbox's journal alone too");

        Gateway.Sandbox.SandboxHosting.AddSandbox(Builder("Development", new() { ["Sandbox:Enabled"] = "true" }));
        Assert.False(Directory.Exists(inProcess));
        Assert.True(File.Exists(Path.Combine(standalone, "operations.db")));
    }

    [Theory]
    [InlineData("Production", false)]
    [InlineData("Production", true)]
    [InlineData("Staging", true)]
    public void A_standalone_sandbox_is_refused_in_staging_and_production_even_with_the_opt_in(string environment, bool optIn)
    {
        var settings = new Dictionary<string, string?> { ["Sandbox:Url"] = "http://localhost:5090" };
        if (optIn) settings["Sandbox:AllowOutsideDevelopment"] = "true";

        var failure = Assert.Throws<InvalidOperationException>(() => Gateway.Sandbox.SandboxHosting.AddSandbox(Builder(environment, settings)));

        Assert.Contains("Sandbox:Url", failure.Message);
        Assert.Contains(environment, failure.Message);
    }

    [Fact]
    public void A_standalone_sandbox_outside_development_needs_the_opt_in_and_then_warns()
    {
        var refused = Assert.Throws<InvalidOperationException>(() =>
            Gateway.Sandbox.SandboxHosting.AddSandbox(Builder("Testing", new() { ["Sandbox:Url"] = "http://localhost:5090" })));
        Assert.Contains("Sandbox:AllowOutsideDevelopment", refused.Message);

        var builder = Builder("Testing", new() { ["Sandbox:Url"] = "http://localhost:5090", ["Sandbox:AllowOutsideDevelopment"] = "true" });
        Gateway.Sandbox.SandboxHosting.AddSandbox(builder);
        Assert.Contains(builder.Services, s => s.ImplementationType == typeof(Gateway.Sandbox.SandboxOutsideDevelopmentWarning));
    }

    [Theory]
    [InlineData("localhost:5090")]
    [InlineData("ftp://localhost:5090")]
    [InlineData("http://localhost:5090/sandbox/ett")]
    public void A_sandbox_url_that_is_not_a_base_url_stops_start_up_naming_the_key(string url)
    {
        var failure = Assert.Throws<InvalidOperationException>(() =>
            Gateway.Sandbox.SandboxHosting.AddSandbox(Builder("Development", new() { ["Sandbox:Url"] = url })));

        Assert.Contains("Sandbox:Url", failure.Message);
    }

    public void Dispose() => Directory.Delete(_contentRoot, recursive: true);
}
