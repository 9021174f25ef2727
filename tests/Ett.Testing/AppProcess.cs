using System.Diagnostics;
using System.Text;

namespace Ett.Testing;

/// <summary>
/// A built app beside the tests (<c>dotnet X.dll</c>) as its own process on a loopback port, with only the settings
/// given (none inherited from the test run's environment); ready once it logs "Now listening on".
/// Disposing it is <c>kill -9</c>: no shutdown, no flush, as a crash.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private const int OutputKept = 64_000;

    private static readonly string[] InheritedPrefixes =
        ["Ett__", "Callers__", "AzureAd__", "Sandbox__", "Operations__", "ConnectionStrings__", "Limits__", "ASPNETCORE_"];

    private readonly Process _process;
    private readonly StringBuilder _output;

    private AppProcess(Process process, StringBuilder output, Uri address)
    {
        _process = process;
        _output = output;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>What the process wrote (its last 64,000 characters), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Starts <paramref name="dll"/> on <paramref name="port"/> (by default a new <see cref="LoopbackPort"/>).</summary>
    public static async Task<AppProcess> StartAsync(string dll, IReadOnlyDictionary<string, string> environment, int? port = null)
    {
        var chosen = port ?? LoopbackPort.Reserve();
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

        var process = Process.Start(start) ?? throw new InvalidOperationException($"dotnet {dll} did not start.");
        var output = new StringBuilder();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Record(string? line)
        {
            if (line is null) return;
            lock (output)
            {
                output.AppendLine(line);
                if (output.Length > OutputKept) output.Remove(0, output.Length - OutputKept);
            }
            if (line.Contains("Now listening on", StringComparison.Ordinal)) listening.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.EnableRaisingEvents = true;
        var app = new AppProcess(process, output, new Uri($"http://127.0.0.1:{chosen}"));
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"dotnet {dll} exited during start-up:\n{app.Output}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return app;
    }

    /// <summary>SIGKILL, then waits until the process is gone.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
