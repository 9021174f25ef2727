using System.Diagnostics;
using System.Net.Sockets;
using Ett.Testing;

namespace Ett.Gateway.Bench;

/// <summary>A measured server in a process of its own: CPU from /proc, working set, and allocations via the probe hook.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux
    private readonly Process _process;
    private readonly int _probePort;

    public string Name { get; }
    public string BaseUrl { get; }
    public int Pid => _process.Id;

    private ServerProcess(string name, string baseUrl, Process process, int probePort)
    {
        Name = name;
        BaseUrl = baseUrl;
        _process = process;
        _probePort = probePort;
    }

    public static async Task<ServerProcess> StartAsync(string name, string dll, string args, IDictionary<string, string> environment, string readyPath, string probeDll)
    {
        var port = LoopbackPort.Reserve();
        var probePort = LoopbackPort.Reserve();
        var info = new ProcessStartInfo("dotnet", $"\"{dll}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        var baseUrl = $"http://127.0.0.1:{port}";
        info.Environment["ASPNETCORE_URLS"] = baseUrl;
        info.Environment["DOTNET_STARTUP_HOOKS"] = probeDll;
        info.Environment["BENCH_PROBE_PORT"] = probePort.ToString();
        info.Environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info)!;
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) break;
            try
            {
                await http.GetAsync(baseUrl + readyPath);
                return new ServerProcess(name, baseUrl, process, probePort);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(200);
            }
        }
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        throw new InvalidOperationException($"{name} did not start:\n{log}");
    }

    /// <summary>User plus system CPU time of the process so far.</summary>
    public TimeSpan Cpu()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After "pid (comm) ": state is field 3, utime 14, stime 15.
        var ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>Resident set size in bytes.</summary>
    public long WorkingSet()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0]) * 1024;
        return 0;
    }

    public long AllocatedBytes()
    {
        using var client = new TcpClient();
        client.Connect("127.0.0.1", _probePort);
        using var reader = new StreamReader(client.GetStream());
        return long.Parse(reader.ReadLine()!);
    }

    public Sample Snapshot() => new(Cpu(), AllocatedBytes());

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

internal readonly record struct Sample(TimeSpan Cpu, long Allocated)
{
    public static Sample operator -(Sample a, Sample b) => new(a.Cpu - b.Cpu, a.Allocated - b.Allocated);
}
