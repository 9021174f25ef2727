namespace Ett.Gateway.Bench;

/// <summary>Durations and sizes of one run: <c>--quick</c> for CI (well under a minute), the full run otherwise.</summary>
internal sealed record BenchSettings
{
    public bool Quick { get; init; }
    public int Rounds { get; init; } = 3;
    public int Connections { get; init; } = 32;
    public int WrkThreads { get; init; } = 2;
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan Round { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan Latency { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan OpenLoop { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan Soak { get; init; } = TimeSpan.FromMinutes(3);
    public TimeSpan Composite { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longer than the passthrough's: a perf profile of the certificates page showed the runtime's background tier-up
    /// (libclrjit) at 10–20 % of the gateway's CPU through the first 5 s and most of the measured 5 s after it.
    /// </summary>
    public TimeSpan CompositeWarmup { get; init; } = TimeSpan.FromSeconds(12);

    /// <summary>
    /// One client's transfers before the measured ones, as long as the composites' warm-up: a perf profile of
    /// <c>--only transfers</c> showed libclrjit at a fifth to a third of the gateway's CPU through 5 s of warm-up and the whole
    /// measured one-client phase after it, and at 1 % once ~13 s of transfers had run.
    /// </summary>
    public TimeSpan TransferWarmup { get; init; } = TimeSpan.FromSeconds(12);
    public TimeSpan Transfers { get; init; } = TimeSpan.FromSeconds(8);
    public TimeSpan WorkerWait { get; init; } = TimeSpan.FromSeconds(30);
    public long StreamBytes { get; init; } = 100L * 1024 * 1024;
    public string? Output { get; init; }

    /// <summary>With <c>--only passthrough,composites</c>: just those phases (for profiling one thing); null runs all.</summary>
    public IReadOnlySet<string>? Only { get; init; }

    public bool Runs(string phase) => Only is null || Only.Contains(phase);

    public static BenchSettings Parse(string[] args)
    {
        var settings = args.Contains("--quick")
            ? new BenchSettings
            {
                Quick = true,
                Warmup = TimeSpan.FromSeconds(1),
                Round = TimeSpan.FromSeconds(1),
                Latency = TimeSpan.FromSeconds(1),
                OpenLoop = TimeSpan.FromSeconds(1),
                Soak = TimeSpan.FromSeconds(2),
                Composite = TimeSpan.FromSeconds(1),
                CompositeWarmup = TimeSpan.FromSeconds(1),
                TransferWarmup = TimeSpan.FromSeconds(1),
                Transfers = TimeSpan.FromSeconds(1),
                WorkerWait = TimeSpan.FromSeconds(3),
                StreamBytes = 10L * 1024 * 1024,
            }
            : new BenchSettings();
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--soak-minutes") settings = settings with { Soak = TimeSpan.FromMinutes(double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture)) };
            if (args[i] == "--out") settings = settings with { Output = args[i + 1] };
            if (args[i] == "--only") settings = settings with { Only = args[i + 1].Split(',').ToHashSet() };
            if (args[i] == "--round-seconds") settings = settings with { Round = TimeSpan.FromSeconds(int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture)) };
        }
        return settings;
    }

    public override string ToString() =>
        $"{(Quick ? "quick" : "full")} mode; wrk {WrkThreads} threads, {Connections} connections; {Rounds} alternating rounds of {Round.TotalSeconds:0} s per arm " +
        $"after {Warmup.TotalSeconds:0} s warm-up each; one connection {Latency.TotalSeconds:0} s; open loop {OpenLoop.TotalSeconds:0} s; " +
        $"soak {Soak.TotalSeconds:0} s; composites {Composite.TotalSeconds:0} s each after {CompositeWarmup.TotalSeconds:0} s warm-up; transfers {Transfers.TotalSeconds:0} s each after {TransferWarmup.TotalSeconds:0} s warm-up; " +
        $"streams {StreamBytes / (1024 * 1024)} MB" + (Only is null ? "" : $"; only {string.Join(", ", Only)}");
}
