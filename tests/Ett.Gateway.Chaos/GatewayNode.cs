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
    private volatile TaskCompletionSource up = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GatewayNode(string name, IReadOnlyDictionary<string, string> settings, string callerToken)
    {
        Name = name;
        this.settings = settings;
        Address = new Uri($"http://127.0.0.1:{port}");
        // Short-lived pooled connections: a killed process leaves none behind for long. No timeout of its own: the
        // gateway answers within its ETT budget or dies, and the run's one safety limit cancels what it sends.
        Http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(2) })
        {
            BaseAddress = Address,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", callerToken);
    }

    public string Name { get; }
    public Uri Address { get; }
    public HttpClient Http { get; }
    public int Kills;

    public bool Up => up.Task.IsCompletedSuccessfully;

    /// <summary>Completes once the process listens (at once while it is up); faults if its restart failed.</summary>
    public Task WhenUp => up.Task;

    public string Tail => process?.Output ?? "";

    public async Task StartAsync()
    {
        try
        {
            process = await AppProcess.StartAsync("Ett.Gateway.dll", settings, port);
        }
        catch (Exception exception)
        {
            up.TrySetException(exception);
            throw;
        }
        up.TrySetResult();
    }

    /// <summary>kill -9 and a restart on the same port and data; it is down while the new process starts. One change at a time per node.</summary>
    public async Task KillAndRestartAsync()
    {
        await oneChange.WaitAsync();
        try
        {
            up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await process!.DisposeAsync();
            Interlocked.Increment(ref Kills);
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
