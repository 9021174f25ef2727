using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ett.Gateway.Chaos;

/// <summary>
/// A built app beside the tests (<c>dotnet X.dll</c>) as its own process on a loopback port, with only the settings
/// given; ready once it logs "Now listening on". <see cref="KillAsync"/> is <c>kill -9</c>: no shutdown, no flush.
/// </summary>
internal sealed class ChaosProcess : IAsyncDisposable
{
    private static readonly string[] InheritedPrefixes = ["Ett__", "Callers__", "AzureAd__", "Sandbox__", "Operations__", "ConnectionStrings__", "Limits__", "ASPNETCORE_"];

    private readonly Process process;
    private readonly StringBuilder output;

    private ChaosProcess(Process process, StringBuilder output, Uri address)
    {
        this.process = process;
        this.output = output;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>The last lines the process wrote, for failure messages.</summary>
    public string Tail
    {
        get
        {
            lock (output) return output.Length > 4000 ? output.ToString(output.Length - 4000, 4000) : output.ToString();
        }
    }

    public static async Task<ChaosProcess> StartAsync(string dll, IReadOnlyDictionary<string, string> environment, int? port = null)
    {
        var chosen = port ?? FreeLoopbackPort();
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var inherited in start.Environment.Keys.Where(k => InheritedPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
            start.Environment.Remove(inherited);
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{chosen}";
        foreach (var (key, value) in environment) start.Environment[key] = value;

        var started = Process.Start(start) ?? throw new InvalidOperationException($"dotnet {dll} did not start.");
        var lines = new StringBuilder();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Record(string? line)
        {
            if (line is null) return;
            lock (lines)
            {
                lines.AppendLine(line);
                // Bounded: a long run logs a lot.
                if (lines.Length > 64_000) lines.Remove(0, lines.Length - 16_000);
            }
            if (line.Contains("Now listening on", StringComparison.Ordinal)) listening.TrySetResult();
        }
        started.OutputDataReceived += (_, e) => Record(e.Data);
        started.ErrorDataReceived += (_, e) => Record(e.Data);
        started.EnableRaisingEvents = true;
        started.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"dotnet {dll} exited during start-up:\n{lines}"));
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        var app = new ChaosProcess(started, lines, new Uri($"http://127.0.0.1:{chosen}"));
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch
        {
            await app.KillAsync();
            throw;
        }
        return app;
    }

    /// <summary>SIGKILL, then waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
    }

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
