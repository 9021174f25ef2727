using Microsoft.AspNetCore.Hosting;

namespace Ett.Gateway.Tests.Infrastructure;

/// <summary>A fresh gateway and fresh fake upstreams for every test.</summary>
public abstract class GatewayTest : IAsyncLifetime
{
    protected FakeUpstreams Upstreams { get; private set; } = null!;
    protected GatewayFactory Gateway { get; private set; } = null!;

    /// <summary>An internal app with every permission.</summary>
    protected HttpClient Caller { get; private set; } = null!;

    /// <summary>Extra gateway settings for the tests of a class.</summary>
    protected virtual void Configure(IWebHostBuilder builder) { }

    public async Task InitializeAsync()
    {
        Upstreams = await FakeUpstreams.StartAsync();
        Gateway = new GatewayFactory(Upstreams, Configure);
        Caller = Gateway.CreateCaller(Upstreams.CallerToken());
    }

    public async Task DisposeAsync()
    {
        Caller.Dispose();
        await Gateway.DisposeAsync();
        await Upstreams.DisposeAsync();
    }
}
