using Ett.Sandbox;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Ett.Gateway.Tests.Infrastructure;

/// <summary>
/// The gateway under test talking to the ETT sandbox over real loopback HTTP — the sandbox hosted separately, as ETT
/// would be — with callers authenticated by the sandbox's development identity provider. Both share one fake clock.
/// </summary>
public sealed class SandboxGateway : IAsyncDisposable
{
    private SandboxGateway(SandboxServer sandbox, GatewayFactory gateway)
    {
        Sandbox = sandbox;
        Gateway = gateway;
    }

    public SandboxServer Sandbox { get; }
    public GatewayFactory Gateway { get; }
    public FakeTimeProvider Time => Gateway.Time;

    public static async Task<SandboxGateway> StartAsync(Action<IWebHostBuilder>? configure = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var time = TestClock.Create();
        var sandbox = await SandboxServer.StartAsync(time);
        var all = new Dictionary<string, string?>
        {
            ["Ett:BaseUrl"] = sandbox.EttBaseAddress.AbsoluteUri,
            ["Ett:TokenUrl"] = sandbox.EttTokenUrl.AbsoluteUri,
            ["Ett:ClientId"] = SandboxSeed.EttClientId,
            ["Ett:ClientSecret"] = SandboxSeed.EttClientSecret,
            ["Callers:Authority"] = sandbox.IdpIssuer,
            ["Callers:Audience"] = sandbox.Options.IdpAudience,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
        return new SandboxGateway(sandbox, new GatewayFactory(all, time, configure));
    }

    /// <summary>An internal app calling the gateway with a token from the development identity provider.</summary>
    public async Task<HttpClient> CreateCallerAsync(string clientId = SandboxSeed.CallerClientId) =>
        Gateway.CreateCaller(await Sandbox.GetCallerTokenAsync(clientId, SandboxSeed.CallerClientSecret));

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Sandbox.DisposeAsync();
    }
}
