using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Ett.Gateway.Bench;

internal sealed record LoadResult(long Requests, double Seconds, long Errors, double P50Ms, double P99Ms)
{
    public double PerSecond => Requests / Seconds;
}

/// <summary>Closed-loop load with wrk (Debian's package): N connections, each sending its next request when the last answered.</summary>
internal static partial class Wrk
{
    public static void EnsureInstalled()
    {
        if (Run("sh", "-c \"command -v wrk\"").ExitCode == 0) return;
        Console.WriteLine("wrk not found: apt-get update && apt-get install -y wrk");
        // A fresh machine may have no package lists yet.
        var install = Run("sh", "-c \"DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk\"");
        if (install.ExitCode != 0) throw new InvalidOperationException("wrk is required (apt-get install wrk):\n" + install.Output);
    }

    public static LoadResult Run(string url, string? bearer, int connections, int threads, TimeSpan duration)
    {
        var header = bearer is null ? "" : $"-H \"Authorization: Bearer {bearer}\" ";
        var run = Run("wrk", $"-t{threads} -c{connections} -d{(int)duration.TotalSeconds}s --latency --timeout 10s {header}\"{url}\"");
        if (run.ExitCode != 0) throw new InvalidOperationException("wrk failed:\n" + run.Output);
        var output = run.Output;
        var requests = long.Parse(RequestsLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var seconds = ParseDuration(RequestsLine().Match(output).Groups[2].Value) / 1000;
        var errors = NonSuccess().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        errors += SocketErrors().Matches(output).Sum(e => long.Parse(e.Groups[1].Value, CultureInfo.InvariantCulture));
        return new LoadResult(requests, seconds, errors, Percentile(output, "50%"), Percentile(output, "99%"));
    }

    private static double Percentile(string output, string label)
    {
        var match = Regex.Match(output, $@"^\s+{Regex.Escape(label)}\s+([\d.]+(?:us|ms|s|m))", RegexOptions.Multiline);
        return match.Success ? ParseDuration(match.Groups[1].Value) : double.NaN;
    }

    /// <summary>wrk's durations ("812.00us", "1.23ms", "2.00s", "10.00s") in milliseconds.</summary>
    private static double ParseDuration(string text)
    {
        var unit = UnitOf().Match(text).Value;
        var value = double.Parse(text[..^unit.Length], CultureInfo.InvariantCulture);
        return unit switch { "us" => value / 1000, "ms" => value, "s" => value * 1000, "m" => value * 60_000, _ => double.NaN };
    }

    private static (int ExitCode, string Output) Run(string file, string args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        try
        {
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            return (process.ExitCode, output.Result + error.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, e.Message);
        }
    }

    [GeneratedRegex(@"(\d+) requests in ([\d.]+(?:us|ms|s|m))")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex NonSuccess();

    [GeneratedRegex(@"(?:connect|read|write|timeout) (\d+)")]
    private static partial Regex SocketErrors();

    [GeneratedRegex(@"[a-z]+$")]
    private static partial Regex UnitOf();
}

/// <summary>C# load: open loop at a fixed rate (latency counted from each request's scheduled start, so a stall is not hidden) and closed loop with N clients.</summary>
internal static class Http
{
    public static HttpClient NewClient() => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 512,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        UseCookies = false,
    }) { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<LoadResult> OpenLoopAsync(HttpClient client, string url, string? bearer, double rate, TimeSpan duration)
    {
        var total = (int)(rate * duration.TotalSeconds);
        var latencies = new double[total];
        long errors = 0;
        var tasks = new Task[total];
        var clock = Stopwatch.StartNew();
        var next = 0;
        while (next < total)
        {
            var due = (int)Math.Min(total, clock.Elapsed.TotalSeconds * rate + 1);
            for (; next < due; next++)
            {
                var i = next;
                tasks[i] = Task.Run(async () =>
                {
                    var scheduled = i / rate;
                    try
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Get, url);
                        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
                        using var response = await client.SendAsync(request);
                        await response.Content.CopyToAsync(Stream.Null);
                        if (!response.IsSuccessStatusCode) Interlocked.Increment(ref errors);
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        Interlocked.Increment(ref errors);
                    }
                    latencies[i] = (clock.Elapsed.TotalSeconds - scheduled) * 1000;
                });
            }
            await Task.Delay(1);
        }
        await Task.WhenAll(tasks);
        return Summarize(latencies, clock.Elapsed.TotalSeconds, errors);
    }

    /// <summary><paramref name="clients"/> loops, each sending <paramref name="send"/>'s next request when the last answered.</summary>
    public static async Task<LoadResult> ClosedLoopAsync(int clients, TimeSpan duration, Func<int, long, Task<bool>> send)
    {
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double[]>();
        long errors = 0, sequence = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var own = new List<double>();
            while (clock.Elapsed < duration)
            {
                var start = clock.Elapsed.TotalMilliseconds;
                bool ok;
                try { ok = await send(client, Interlocked.Increment(ref sequence)); }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { ok = false; }
                if (!ok) Interlocked.Increment(ref errors);
                own.Add(clock.Elapsed.TotalMilliseconds - start);
            }
            latencies.Add([.. own]);
        })));
        return Summarize(latencies.SelectMany(l => l).ToArray(), clock.Elapsed.TotalSeconds, errors);
    }

    private static LoadResult Summarize(double[] latencies, double seconds, long errors)
    {
        Array.Sort(latencies);
        double At(double q) => latencies.Length == 0 ? double.NaN : latencies[Math.Min(latencies.Length - 1, (int)(q * latencies.Length))];
        return new LoadResult(latencies.Length, seconds, errors, At(0.50), At(0.99));
    }
}
