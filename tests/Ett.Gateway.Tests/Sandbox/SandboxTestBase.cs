using Ett.Gateway.Tests.Infrastructure;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>A fresh sandbox per test (tests change its state) and an ETT client of the trial client with X-API-Version: 1.</summary>
public abstract class SandboxTestBase : IAsyncLifetime
{
    protected SandboxServer Server { get; private set; } = null!;

    protected HttpClient Ett { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Server = await SandboxServer.StartAsync();
        Ett = await Server.CreateEttClientAsync();
    }

    public virtual async Task DisposeAsync()
    {
        Ett.Dispose();
        await Server.DisposeAsync();
    }
}
