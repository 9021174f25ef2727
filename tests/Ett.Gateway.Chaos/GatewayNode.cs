using System.Net.Http.Headers;
using Ett.Testing;

namespace Ett.Gateway.Chaos;

/// <summary>
/// One gateway instance as its own process on a fixed loopback port and fixed data (a SQLite folder or a PostgreSQL
/// schema): killed with SIGKILL and restarted on the same data, as a crashed container would be.
/// </summary>
internal sealed class GatewayNode : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string> settings;
    private readonly int port = LoopbackPort.Reserve();
    private readonly SemaphoreSlim oneChange = new(1, 1);
    private AppProcess? process;

    public GatewayNode(string name, IReadOnlyDictionary<string, string> settings, string callerToken)
    {
        Name = name;
        this.settings = settings;
        Address = new Uri($"http://127.0.0.1:{port}");
        // Short-lived pooled connections: a killed process leaves none behind for long.
        Http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(2) })
        {
            BaseAddress = Address,
            Timeout = TimeSpan.FromSeconds(20),
        };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", callerToken);
    }

    public string Name { get; }
    public Uri Address { get; }
    public HttpClient Http { get; }
    public volatile bool Up;
    public int Kills;

    public string Tail => process?.Output ?? "";

    public async Task StartAsync()
    {
        process = await AppProcess.StartAsync("Ett.Gateway.dll", settings, port);
        Up = true;
    }

    /// <summary>kill -9, a pause, and a restart on the same port and data. One change at a time per node.</summary>
    public async Task KillAndRestartAsync(TimeSpan down)
    {
        await oneChange.WaitAsync();
        try
        {
            Up = false;
            await process!.DisposeAsync();
            Interlocked.Increment(ref Kills);
            await Task.Delay(down);
            await StartAsync();
        }
        finally
        {
            oneChange.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (process is not null) await process.DisposeAsync();
    }
}
