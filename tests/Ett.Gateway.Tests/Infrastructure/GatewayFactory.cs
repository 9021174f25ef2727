using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Ett.Gateway.Tests.Infrastructure;

/// <summary>
/// The real gateway, in memory, wired to upstreams on loopback HTTP (<see cref="FakeUpstreams"/> or the sandbox), with
/// a fake clock, its own data directory, and every log line captured (at Trace level) so tests can prove what was never logged.
/// </summary>
public sealed class GatewayFactory(IReadOnlyDictionary<string, string?> settings, FakeTimeProvider? time = null, Action<IWebHostBuilder>? configure = null)
    : WebApplicationFactory<Program>
{
    public GatewayFactory(FakeUpstreams upstreams, Action<IWebHostBuilder>? configure = null)
        : this(SettingsFor(upstreams), configure: configure)
    {
    }

    public FakeTimeProvider Time { get; } = time ?? TestClock.Create();
    public FakeLogCollector Logs { get; } = new();
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("ett-gateway-test-").FullName;

    public static Dictionary<string, string?> SettingsFor(FakeUpstreams upstreams) => new()
    {
        ["Ett:BaseUrl"] = new Uri(upstreams.BaseAddress, "ett").AbsoluteUri,
        ["Ett:TokenUrl"] = new Uri(upstreams.BaseAddress, "token").AbsoluteUri,
        ["Ett:ClientId"] = FakeUpstreams.EttClientId,
        ["Ett:ClientSecret"] = FakeUpstreams.EttClientSecret,
        ["Callers:Authority"] = upstreams.Issuer,
        ["Callers:Audience"] = FakeUpstreams.Audience,
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Sandbox:Enabled", "false");
        builder.UseSetting("Callers:RequireHttpsMetadata", "false");
        builder.UseSetting("Operations:DataDirectory", DataDirectory);
        // Retry delays wait on the fake clock; tests of waiting set their own (Upstream/EttResilienceTests).
        builder.UseSetting("Ett:Resilience:RetryDelay", "00:00:00");
        // Tests fire bursts of parallel requests from one caller; the per-caller rate limit is tested in Defaults/LimitsTests.
        builder.UseSetting("Limits:CallerTokenLimit", "1000000");
        // No background reads of ETT's credentials API unless a test asks (ClientSecrets/ClientSecretTests).
        builder.UseSetting("Ett:SecretExpiryRefresh", "00:00:00");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddProvider(new FakeLoggerProvider(Logs));
        });
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Time));
        configure?.Invoke(builder);
    }

    /// <summary>A client that calls the gateway as an internal app holding <paramref name="callerToken"/>.</summary>
    public HttpClient CreateCaller(string callerToken)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", callerToken);
        return client;
    }

    /// <summary>Every captured log line, message and exception text together.</summary>
    public string AllLogText() =>
        string.Join('\n', Logs.GetSnapshot().Select(r => $"{r.Level} {r.Category} {r.Message} {r.Exception}"));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A store file still held open by a finalising connection: the temp folder is cleaned by the OS.
        }
    }
}
