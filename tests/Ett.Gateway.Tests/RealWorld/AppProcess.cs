using System.Diagnostics;
using System.Text;

namespace Ett.Gateway.Tests.RealWorld;

/// <summary>
/// A built app beside the tests (<c>dotnet X.dll</c>, built once with the test project) as its own process on a
/// loopback port, with only the settings given; ready once it logs "Now listening on".
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private static readonly string[] InheritedPrefixes = ["Ett__", "Callers__", "AzureAd__", "Sandbox__", "Operations__", "ASPNETCORE_"];

    private readonly Process _process;
    private readonly StringBuilder _output;

    private AppProcess(Process process, StringBuilder output, Uri address)
    {
        _process = process;
        _output = output;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Everything the process wrote, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static async Task<AppProcess> StartAsync(string dll, int port, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var inherited in start.Environment.Keys.Where(k => InheritedPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
            start.Environment.Remove(inherited);
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        foreach (var (key, value) in environment) start.Environment[key] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException($"dotnet {dll} did not start.");
        var output = new StringBuilder();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Record(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            if (line.Contains("Now listening on", StringComparison.Ordinal)) listening.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"dotnet {dll} exited during start-up:\n{output}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var app = new AppProcess(process, output, new Uri($"http://127.0.0.1:{port}"));
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return app;
    }

    /// <summary>Kills the process (no graceful shutdown: a crash) and waits until it is gone.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
