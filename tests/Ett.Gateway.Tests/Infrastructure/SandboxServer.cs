using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Ett.Sandbox;
using Ett.Sandbox.Faults;
using Ett.Sandbox.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Ett.Gateway.Tests.Infrastructure;

/// <summary>
/// The ETT sandbox on a real Kestrel listener at http://127.0.0.1:{random port}, so whatever talks to it goes through a
/// real HTTP pipeline. Use it as an <c>IClassFixture</c> (parameterless constructor, started by xunit) or per test via
/// <see cref="StartAsync"/>.
/// </summary>
public sealed class SandboxServer : IAsyncLifetime, IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http = new();
    private Uri? _baseAddress;

    /// <summary>A sandbox on a <see cref="FakeTimeProvider"/> that starts at <see cref="TestClock.Start"/>.</summary>
    public SandboxServer()
        : this(TestClock.Create(), configure: null, configuration: null)
    {
    }

    // xunit allows a class fixture one public constructor; other clocks and options go through StartAsync.
    private SandboxServer(TimeProvider time, Action<SandboxOptions>? configure, IReadOnlyDictionary<string, string?>? configuration)
    {
        Time = time;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        // The test output holds the gateway's appsettings.json and the environment may set ASPNETCORE_URLS: read neither.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(time);
        builder.Services.AddEttSandbox(configure);
        _app = builder.Build();
        _app.MapEttSandbox();
    }

    /// <summary>The sandbox's clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>The clock, when it is fake (the default).</summary>
    public FakeTimeProvider? FakeTime => Time as FakeTimeProvider;

    /// <summary>Root of the listener, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress => _baseAddress ?? throw new InvalidOperationException("The sandbox server has not been started.");

    /// <summary>ETT's base address (what a gateway's <c>Ett:BaseUrl</c> should be), ending in a slash.</summary>
    public Uri EttBaseAddress => new(BaseAddress, Options.EttPrefix.TrimStart('/') + "/");

    /// <summary>The ETT token endpoint (a gateway's <c>Ett:TokenUrl</c>).</summary>
    public Uri EttTokenUrl => new(BaseAddress, Options.EttTokenPath.TrimStart('/'));

    /// <summary>The development identity provider's authority and issuer (a gateway's <c>Callers:Authority</c>).</summary>
    public string IdpIssuer => Options.IdpIssuer ?? new Uri(BaseAddress, Options.IdpPrefix.TrimStart('/')).ToString();

    /// <summary>The sandbox's seeded, in-memory ETT.</summary>
    public SandboxState State => _app.Services.GetRequiredService<SandboxState>();

    /// <summary>The faults in force (from configuration, <see cref="SandboxFaults.Add"/> or the control endpoint).</summary>
    public SandboxFaults Faults => _app.Services.GetRequiredService<SandboxFaults>();

    /// <summary>The sandbox's options as configured.</summary>
    public SandboxOptions Options => _app.Services.GetRequiredService<IOptions<SandboxOptions>>().Value;

    internal DevelopmentIdentityProvider IdentityProvider => _app.Services.GetRequiredService<DevelopmentIdentityProvider>();

    /// <summary>
    /// Starts a sandbox on the given clock (share it with a gateway under test to move both in step); dispose it to stop.
    /// <paramref name="configuration"/> is the host's configuration, e.g. <c>Sandbox:Faults:0:Kind</c>.
    /// </summary>
    public static async Task<SandboxServer> StartAsync(
        TimeProvider? time = null, Action<SandboxOptions>? configure = null, IReadOnlyDictionary<string, string?>? configuration = null)
    {
        var server = new SandboxServer(time ?? TestClock.Create(), configure, configuration);
        await server.InitializeAsync();
        return server;
    }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        _baseAddress = new Uri(address.TrimEnd('/') + "/");
        _http.BaseAddress = _baseAddress;
    }

    /// <summary>A plain client for the listener (no token, no version header).</summary>
    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    /// <summary>Fetches an ETT access token for a seeded ETT client.</summary>
    public async Task<string> GetEttTokenAsync(string clientId = SandboxSeed.EttClientId, string clientSecret = SandboxSeed.EttClientSecret)
    {
        using var response = await _http.PostAsync(EttTokenUrl, ClientCredentials(clientId, clientSecret));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<TokenResponse>())!.AccessToken;
    }

    /// <summary>A client for ETT's paths (relative to <see cref="EttBaseAddress"/>) with a fresh token and <c>X-API-Version: 1</c>.</summary>
    public async Task<HttpClient> CreateEttClientAsync(string clientId = SandboxSeed.EttClientId, string clientSecret = SandboxSeed.EttClientSecret)
    {
        var client = new HttpClient { BaseAddress = EttBaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await GetEttTokenAsync(clientId, clientSecret));
        client.DefaultRequestHeaders.Add("X-API-Version", "1");
        return client;
    }

    /// <summary>Fetches a caller token from the development identity provider.</summary>
    public async Task<string> GetCallerTokenAsync(string clientId = SandboxSeed.CallerClientId, string clientSecret = SandboxSeed.CallerClientSecret)
    {
        using var response = await _http.PostAsync(new Uri(BaseAddress, Options.IdpPrefix.TrimStart('/') + "/connect/token"), ClientCredentials(clientId, clientSecret));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<TokenResponse>())!.AccessToken;
    }

    /// <summary>Signs a caller token with arbitrary claims, audience and lifetime (for expired or wrong-audience cases).</summary>
    public string IssueCallerToken(IReadOnlyDictionary<string, object> claims, string? audience = null, DateTimeOffset? issuedAt = null, TimeSpan? lifetime = null) =>
        IdentityProvider.IssueToken(IdpIssuer, audience ?? Options.IdpAudience, claims, issuedAt ?? Time.GetUtcNow(), lifetime ?? Options.CallerTokenLifetime);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private static FormUrlEncodedContent ClientCredentials(string clientId, string clientSecret) => new(new Dictionary<string, string>
    {
        ["grant_type"] = "client_credentials",
        ["client_id"] = clientId,
        ["client_secret"] = clientSecret,
    });

    private sealed record TokenResponse([property: JsonPropertyName("access_token")] string AccessToken);
}
