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
/// The real gateway, in memory, wired to <see cref="FakeUpstreams"/> over loopback HTTP, with a fake clock and every
/// log line captured (at Trace level) so tests can prove what was never logged.
/// </summary>
public sealed class GatewayFactory(FakeUpstreams upstreams, Action<IWebHostBuilder>? configure = null) : WebApplicationFactory<Program>
{
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);
    public FakeLogCollector Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Sandbox:Enabled", "false");
        builder.UseSetting("Ett:BaseUrl", new Uri(upstreams.BaseAddress, "ett").AbsoluteUri);
        builder.UseSetting("Ett:TokenUrl", new Uri(upstreams.BaseAddress, "token").AbsoluteUri);
        builder.UseSetting("Ett:ClientId", FakeUpstreams.EttClientId);
        builder.UseSetting("Ett:ClientSecret", FakeUpstreams.EttClientSecret);
        builder.UseSetting("Callers:Authority", upstreams.Issuer);
        builder.UseSetting("Callers:Audience", FakeUpstreams.Audience);
        builder.UseSetting("Callers:RequireHttpsMetadata", "false");
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
}
