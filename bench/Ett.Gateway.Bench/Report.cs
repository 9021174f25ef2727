using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Ett.Gateway.Bench;

internal sealed record ArmRound(string Arm, LoadResult Load, Sample Used);

internal sealed record StreamResult(int Status, long Bytes, double Seconds, long WorkingSetStart, long WorkingSetPeak)
{
    public long Growth => WorkingSetPeak - WorkingSetStart;
}

internal sealed record SoakResult(LoadResult Load, long WorkingSetStart, long WorkingSetEnd);

internal sealed record ReadResult(string Name, LoadResult Load, Sample Used, double EttCallsPerRequest)
{
    public double BytesPerRequest => (double)Used.Allocated / Load.Requests;
    public double CpuMicrosPerRequest => Used.Cpu.TotalMicroseconds / Load.Requests;
}

internal sealed record WorkerResult(int Sampled, int Pending, TimeSpan Waited, TimeSpan Limit);

/// <summary>Every figure of a run, the targets of issue 12 checked against them, rendered as Markdown.</summary>
internal sealed class Report(BenchSettings settings, string repository, string configuration)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private const long MiB = 1024 * 1024;

    public List<ArmRound> Throughput { get; } = [];
    public Dictionary<string, LoadResult> OneConnection { get; } = [];
    public Dictionary<string, LoadResult> HalfLoad { get; } = [];
    public double HalfRate { get; set; }
    public StreamResult? Download { get; set; }
    public StreamResult? Upload { get; set; }
    public SoakResult? Soak { get; set; }
    public List<ReadResult> Composites { get; } = [];
    public List<ReadResult> TransferRuns { get; } = [];
    public WorkerResult? Worker { get; set; }
    public long TokenRequests { get; set; }
    public TimeSpan TokenRun { get; set; }
    public TimeSpan Elapsed { get; set; }
    public List<string> Notes { get; } = [];
    public List<string> Failures { get; } = [];

    /// <summary>What follows this line in RESULTS.md is written by hand about a run and kept when the tables are regenerated.</summary>
    public const string NotesMarker = "<!-- notes: written by hand, kept by bench/run -->";

    public static string NotesOf(string resultsFile)
    {
        if (!File.Exists(resultsFile)) return "";
        var text = File.ReadAllText(resultsFile);
        var at = text.IndexOf(NotesMarker, StringComparison.Ordinal);
        return at < 0 ? "" : "\n" + text[at..];
    }

    public double Median(string arm, Func<ArmRound, double> figure)
    {
        var values = Throughput.Where(r => r.Arm == arm).Select(figure).Order().ToArray();
        return values.Length == 0 ? double.NaN : values.Length % 2 == 1 ? values[values.Length / 2] : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
    }

    private (double Min, double Max) Spread(string arm) =>
        Throughput.Where(r => r.Arm == arm).Select(r => r.Load.PerSecond).Aggregate((double.MaxValue, double.MinValue), (a, v) => (Math.Min(a.Item1, v), Math.Max(a.Item2, v)));

    private double Bytes(string arm) => Median(arm, r => (double)r.Used.Allocated / r.Load.Requests);
    private double CpuMicros(string arm) => Median(arm, r => r.Used.Cpu.TotalMicroseconds / r.Load.Requests);

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# Benchmark results");
        md.AppendLine();
        md.AppendLine($"Tables produced by `bench/run{(settings.Quick ? " --quick" : "")}`; the notes at the end are written by hand about a run (see `bench/README.md`).");
        md.AppendLine();
        md.AppendLine($"- date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, run took {Elapsed.TotalMinutes:0.0} min");
        md.AppendLine($"- machine: {Machine()}");
        md.AppendLine($"- commit: {Git("rev-parse --short HEAD")}{(Git("status --porcelain --untracked-files=no").Length > 0 ? " (with uncommitted changes)" : "")}, {configuration} build, .NET {Environment.Version}");
        md.AppendLine($"- settings: {settings}");
        md.AppendLine("- upstream: a Kestrel app in `bench/` on loopback (fixed 1 KB JSON, streamed blob and sink, the sandbox's ETT token endpoint and RSA-signing IdP with JWKS, sandbox wallet with GET answers canned for composites); load: `wrk` 4.1 from Debian (closed loop) and a C# open-loop generator in `bench/` (latency from each request's scheduled start)");
        md.AppendLine("- arms: **direct** (wrk → upstream), **bare YARP** (minimal YARP app, same `/ett/{**path}` route, no features), **gateway** (Production configuration: caller JWT validated against the IdP's RSA key, ETT token, version pin, organization check, header stripping; whatever rate limiter/telemetry is on the branch)");
        md.AppendLine("- the machine has 2 cores shared with other work and the load generator: figures move between runs; compare arms within one run");
        md.AppendLine();

        // A run --only other phases has no passthrough rounds: no table of empty medians.
        if (Throughput.Count > 0) AppendPassthrough(md);

        md.AppendLine("## Streams, soak, ETT token");
        md.AppendLine();
        md.AppendLine("| what | result | gateway working set |");
        md.AppendLine("|---|---|---|");
        if (Download is { } d) md.AppendLine($"| {settings.StreamBytes / MiB} MB download through `/ett/` | {d.Status}, {d.Bytes / MiB} MB in {d.Seconds:0.0} s | {d.WorkingSetStart / MiB} MB → peak {d.WorkingSetPeak / MiB} MB (+{(double)d.Growth / MiB:0.0} MB) |");
        if (Upload is { } u) md.AppendLine($"| {settings.StreamBytes / MiB} MB upload through `/ett/` | {(u.Status == 0 ? "connection closed" : u.Status.ToString(Invariant))}, {u.Bytes / MiB} MB reached ETT in {u.Seconds:0.0} s | {u.WorkingSetStart / MiB} MB → peak {u.WorkingSetPeak / MiB} MB (+{(double)u.Growth / MiB:0.0} MB) |");
        if (Soak is { } s) md.AppendLine($"| soak at {HalfRate:0} req/s for {settings.Soak.TotalSeconds:0} s | {s.Load.Requests} requests, {s.Load.Errors} errors, p50 {Ms(s.Load.P50Ms)}, p99 {Ms(s.Load.P99Ms)} | {s.WorkingSetStart / MiB} MB at start, {s.WorkingSetEnd / MiB} MB at end |");
        md.AppendLine($"| ETT token requests by the gateway over {TokenRun.TotalSeconds:0} s (sandbox token lifetime 1 h) | {TokenRequests} for {Throughput.Where(r => r.Arm == "gateway").Sum(r => r.Load.Requests) + (Soak?.Load.Requests ?? 0)}+ proxied requests | |");
        md.AppendLine();

        md.AppendLine("## Composite reads (ETT answers canned) and transfer acceptance");
        md.AppendLine();
        md.AppendLine("| request | req/s | p50 / p99 | bytes allocated / request | CPU µs / request | ETT calls / request |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var r in Composites)
            md.AppendLine($"| {r.Name} (8 connections) | {r.Load.PerSecond:0} | {Ms(r.Load.P50Ms)} / {Ms(r.Load.P99Ms)} | {r.BytesPerRequest:0} | {r.CpuMicrosPerRequest:0} | {r.EttCallsPerRequest:0.##} |");
        foreach (var r in TransferRuns)
            md.AppendLine($"| POST transfers, {r.Name} | {r.Load.PerSecond:0} | {Ms(r.Load.P50Ms)} / {Ms(r.Load.P99Ms)} | {(r.Used.Allocated == 0 ? "–" : r.BytesPerRequest.ToString("0", Invariant))} | {(r.Used.Allocated == 0 ? "–" : r.CpuMicrosPerRequest.ToString("0", Invariant))} | |");
        if (Worker is { } w)
            md.AppendLine($"\nWorker: of the last {w.Sampled} operations accepted by 8 clients (SQLite), {w.Pending} were still accepted/running {w.Waited.TotalSeconds:0} s after the load ended (limit {w.Limit.TotalSeconds:0} s).");
        md.AppendLine();

        md.AppendLine("## Targets (issue 12)");
        md.AppendLine();
        md.AppendLine("| target | figure | |");
        md.AppendLine("|---|---|---|");
        foreach (var (target, figure, met) in Targets()) md.AppendLine($"| {target} | {figure} | {(met is null ? "not measured" : met.Value ? "met" : "**missed**")} |");
        md.AppendLine();
        foreach (var note in Notes) md.AppendLine($"- {note}");
        foreach (var failure in Failures) md.AppendLine($"- failure: {failure}");
        return md.ToString();
    }

    private void AppendPassthrough(StringBuilder md)
    {
        md.AppendLine("## Passthrough, 1 KB JSON");
        md.AppendLine();
        md.AppendLine("| arm | req/s median | spread (min–max) | p50 / p99 at 1 connection | p50 / p99 open loop at " + $"{HalfRate:0} req/s | bytes allocated / request | CPU µs / request |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var arm in new[] { "direct", "bare YARP", "gateway" })
        {
            var (min, max) = Spread(arm);
            var one = OneConnection.GetValueOrDefault(arm);
            var half = HalfLoad.GetValueOrDefault(arm);
            md.AppendLine($"| {arm} | {Median(arm, r => r.Load.PerSecond):0} | {min:0}–{max:0} | {Ms(one?.P50Ms)} / {Ms(one?.P99Ms)} | {Ms(half?.P50Ms)} / {Ms(half?.P99Ms)} | " +
                (arm == "direct" ? "(upstream) " : "") + $"{Bytes(arm):0} | " + (arm == "direct" ? "(upstream) " : "") + $"{CpuMicros(arm):0} |");
        }
        md.AppendLine();
        md.AppendLine("Rounds (req/s): " + string.Join("; ", Throughput.Select(r => $"{r.Arm} {r.Load.PerSecond:0}")));
        md.AppendLine();
    }

    private IEnumerable<(string Target, string Figure, bool? Met)> Targets()
    {
        if (Throughput.Count > 0)
            foreach (var target in PassthroughTargets()) yield return target;
        yield return ("one ETT token request per token lifetime", $"{TokenRequests} in {TokenRun.TotalMinutes:0.0} min", TokenRequests == 1);
        if (Download is { } d) yield return ("download ≤ 32 MB working-set growth", $"+{(double)d.Growth / MiB:0.0} MB, status {d.Status}", d.Status == 200 && d.Bytes == settings.StreamBytes && d.Growth <= 32 * MiB);
        if (Upload is { } u) yield return ("upload ≤ 32 MB working-set growth, whole body reaches ETT", $"+{(double)u.Growth / MiB:0.0} MB, status {u.Status}, {u.Bytes / MiB} MB arrived", u.Status == 200 && u.Bytes == settings.StreamBytes && u.Growth <= 32 * MiB);
        if (Soak is { } s) yield return ("soak: working set at end ≤ start + 10%", $"{s.WorkingSetStart / MiB} → {s.WorkingSetEnd / MiB} MB ({settings.Soak.TotalMinutes:0.#} min)", s.WorkingSetEnd <= s.WorkingSetStart * 1.1);
        var page = Composites.FirstOrDefault(c => c.Name.Contains("certificates?limit=50", StringComparison.Ordinal));
        var same = Composites.FirstOrDefault(c => c.Name.StartsWith("passthrough", StringComparison.Ordinal));
        if (page is not null && same is not null)
            yield return ("certificates page (50) ≤ 2× the passthrough of the same ETT answer in CPU / request", $"{page.CpuMicrosPerRequest / same.CpuMicrosPerRequest:0.00}× ({page.CpuMicrosPerRequest:0} vs {same.CpuMicrosPerRequest:0} µs)", page.CpuMicrosPerRequest <= 2 * same.CpuMicrosPerRequest);
        var eight = TransferRuns.FirstOrDefault(t => t.Name == "SQLite, 8 clients, fast ETT");
        yield return ("transfer acceptance ≥ 500/s at 8 clients, SQLite, fast ETT", eight is null ? "–" : $"{eight.Load.PerSecond:0}/s", eight is null ? null : eight.Load.PerSecond >= 500);
        var slow = TransferRuns.FirstOrDefault(t => t.Name.Contains("200 ms", StringComparison.Ordinal));
        yield return ("≥ 20/s for one organization with 200 ms ETT latency", slow is null ? "–" : $"{slow.Load.PerSecond:0.0}/s", slow is null ? null : slow.Load.PerSecond >= 20);
        if (Worker is { } w) yield return ("worker: every operation completed within 10 s of the load ending", w.Pending == 0 ? $"all {w.Sampled} sampled in {w.Waited.TotalSeconds:0.0} s" : $"{w.Pending} of {w.Sampled} sampled pending after {w.Waited.TotalSeconds:0} s", w.Pending == 0 && w.Waited <= TimeSpan.FromSeconds(10));
    }

    private IEnumerable<(string Target, string Figure, bool? Met)> PassthroughTargets()
    {
        var gateway = Median("gateway", r => r.Load.PerSecond);
        var yarp = Median("bare YARP", r => r.Load.PerSecond);
        var direct = Median("direct", r => r.Load.PerSecond);
        yield return ("throughput ≥ 0.85× bare YARP", $"{gateway / yarp:0.00}×", gateway / yarp >= 0.85);
        yield return ("throughput ≥ 0.35× direct", $"{gateway / direct:0.00}×", gateway / direct >= 0.35);
        if (OneConnection.TryGetValue("gateway", out var g1) && OneConnection.TryGetValue("bare YARP", out var y1))
            yield return ("p50 at one connection ≤ 1.3× bare YARP", $"{g1.P50Ms / y1.P50Ms:0.00}× ({Ms(g1.P50Ms)} vs {Ms(y1.P50Ms)})", g1.P50Ms / y1.P50Ms <= 1.3);
        if (HalfLoad.TryGetValue("gateway", out var gh) && HalfLoad.TryGetValue("bare YARP", out var yh))
            yield return ("p99 at half load ≤ 2× bare YARP", $"{gh.P99Ms / yh.P99Ms:0.00}× ({Ms(gh.P99Ms)} vs {Ms(yh.P99Ms)})", gh.P99Ms / yh.P99Ms <= 2);
        var extra = Bytes("gateway") - Bytes("bare YARP");
        yield return ("allocations ≤ bare YARP + 2 KB / request", $"+{extra:0} bytes ({Bytes("gateway"):0} vs {Bytes("bare YARP"):0})", extra <= 2048);
    }

    private static string Ms(double? ms) => ms is null || double.IsNaN(ms.Value) ? "–" : ms.Value < 10 ? $"{ms:0.00} ms" : $"{ms:0} ms";

    private static string Machine()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memory = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal", StringComparison.Ordinal)).Split(':', 2)[1].Trim();
        return $"{Environment.ProcessorCount} cores ({cpu}), {memory} memory, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
    }

    private string Git(string args)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", args) { RedirectStandardOutput = true, WorkingDirectory = repository })!;
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
