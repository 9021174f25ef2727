using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ett.Sandbox;
using Ett.Sandbox.Faults;
using Npgsql;

namespace Ett.Gateway.Chaos;

/// <summary>One chaos run's shape: the seed decides the schedule of operations, faults and kills.</summary>
/// <param name="Seed">Seeds the schedule (what is sent, with which keys, which faults, when kills happen).</param>
/// <param name="Operations">Transfers and claims scheduled (repeats with new keys come on top).</param>
/// <param name="Instances">Gateway processes; more than one needs <paramref name="Postgres"/>.</param>
/// <param name="Postgres">The shared PostgreSQL store (<c>ETT_TEST_POSTGRES</c>) instead of SQLite.</param>
/// <param name="Kills">kill -9 of a gateway process, spread over the schedule, each followed by a restart on the same data.</param>
public sealed record ChaosScenario(int Seed, int Operations, int Instances, bool Postgres, int Kills)
{
    public int Parallelism { get; init; } = 8;

    /// <summary>
    /// Faults topped up to this many before each request the schedule sends and whenever ETT has nothing in hand, each for
    /// one to three matching ETT calls or 20 to 60 ETT calls of any kind, whichever comes first: enough for at least 10 % of ETT calls.
    /// </summary>
    public int FaultsInForce { get; init; } = 12;
}

/// <summary>What a run did and found.</summary>
public sealed record ChaosFigures
{
    public required int Seed { get; init; }
    public required string Store { get; init; }
    public required int Instances { get; init; }
    public required int Operations { get; init; }
    public required int Accepted { get; init; }
    public required int Refused { get; init; }
    public required int Unanswered { get; init; }
    public required int EttCalls { get; init; }
    public required int FaultedCalls { get; init; }
    public required int ResponsesLost { get; init; }
    public required int Kills { get; init; }
    public required int Legs { get; init; }
    public required int Duplicates { get; init; }
    public required long DuplicatedWh { get; init; }
    public required int Lost { get; init; }
    public required long LostWh { get; init; }
    public required int Stuck { get; init; }
    public required int FailedLegs { get; init; }
    public required int KeysWithTwoOperations { get; init; }
    public required int WalletsOff { get; init; }
    public required int QuiescenceRounds { get; init; }
    public required TimeSpan Duration { get; init; }
    public required IReadOnlyList<string> Findings { get; init; }

    public double FaultedPercent => EttCalls == 0 ? 0 : 100.0 * FaultedCalls / EttCalls;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"chaos seed={Seed} store={Store} instances={Instances} operations={Operations} (accepted {Accepted}, refused 422 {Refused}, unanswered {Unanswered}) " +
        $"legs={Legs} ettCalls={EttCalls} faulted={FaultedCalls} ({FaultedPercent:F1} %, {ResponsesLost} applied with the response lost) kills={Kills} " +
        $"duplicates={Duplicates} ({DuplicatedWh} Wh) lost={Lost} ({LostWh} Wh) stuck={Stuck} failedLegs={FailedLegs} " +
        $"keysWithTwoOperations={KeysWithTwoOperations} walletsOff={WalletsOff} quiescenceRounds={QuiescenceRounds} in {Duration.TotalSeconds:F0} s");
}

/// <summary>
/// The chaos test of real processes (issue 9): the sandbox and one or two gateway processes; a seeded schedule of
/// transfers and claims (multi-certificate, multi-slice, parallel, retried with the same key, repeated with new keys);
/// ETT faults set through the sandbox's control endpoint, "applied, response lost" among them; kill -9 of gateways
/// with restarts on the same data. Then quiescence, and the invariants checked against the sandbox's ledger.
/// The driver never waits on a clock: it waits for answers, for a node's restart, and for the sandbox to say that ETT
/// has nothing in hand; every loop is bounded in count.
/// </summary>
internal sealed class ChaosRun(ChaosScenario scenario, Action<string> log)
{
    private static readonly Guid Producer = SandboxSeed.ProducerOrganizationId;
    private static readonly Guid Consumer = SandboxSeed.ConsumerOrganizationId;
    private static readonly Guid Trader = SandboxSeed.TraderOrganizationId;
    private static readonly Guid Large = SandboxSeed.LargeProducerOrganizationId;
    private static readonly Guid[] Wallets = [Producer, Consumer, Trader, Large];

    /// <summary>The one limit on the wall clock, so that a run fails rather than hangs; no run passes by it.</summary>
    private static readonly TimeSpan SafetyLimit = TimeSpan.FromMinutes(8);

    /// <summary>Attempts per request while the schedule runs; one that is still unanswered is asked again in quiescence.</summary>
    private const int SendAttempts = 60;

    /// <summary>
    /// Rounds of quiescence, each once ETT has nothing in hand: the gateways' workers and leases run on their own clocks
    /// (a reconciliation waits 5 s, a killed attempt's key 5 s), and a round takes a few milliseconds when ETT is quiet.
    /// </summary>
    private const int QuiescenceRounds = 50_000;

    /// <summary>Top-ups of the faults between requests the schedule sends, each once ETT has nothing in hand.</summary>
    private const int FaultRounds = 200_000;

    private readonly Random runtime = new(scenario.Seed ^ 0x5eed);
    private readonly Random faultRandom = new(scenario.Seed * 31 + 7);
    private readonly Lock runtimeSync = new();
    private readonly SemaphoreSlim faultsSync = new(1, 1);
    private readonly ConcurrentDictionary<string, ConcurrentBag<Guid>> operationsByKey = new();
    private readonly ConcurrentQueue<ChaosOperation> unanswered = [];
    private readonly List<GatewayNode> nodes = [];
    private readonly List<Task> kills = [];
    private ChaosSandbox sandbox = null!;
    private CancellationToken stop;
    private bool faultsOn = true;
    private int accepted;
    private int refused;
    private int repeats;
    private int killsOrdered;
    private int done;

    public async Task<ChaosFigures> RunAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var safety = new CancellationTokenSource(SafetyLimit);
        stop = safety.Token;
        var schema = scenario.Postgres ? $"chaos_{scenario.Seed}_{Guid.NewGuid():N}"[..40] : null;
        var dataDirectory = Directory.CreateTempSubdirectory("ett-chaos-").FullName;
        await using var started = await ChaosSandbox.StartAsync(stop);
        sandbox = started;
        try
        {
            if (schema is not null) await PostgresAsync($"CREATE SCHEMA {schema}");
            var token = await sandbox.CallerTokenAsync();
            for (var i = 0; i < scenario.Instances; i++)
                nodes.Add(new GatewayNode($"gateway-{i}", GatewaySettings(sandbox, dataDirectory, schema), token));
            // One at a time: the first creates the store's schema.
            foreach (var node in nodes) await node.StartAsync();
            log($"chaos seed={scenario.Seed}: sandbox at {sandbox.Address}, {nodes.Count} gateway(s) on {(schema is null ? "SQLite" : "PostgreSQL")}");

            // The sandbox seeds hourly certificates up to the last full hour of its own clock: the claims fall in them.
            var lastHour = DateTimeOffset.FromUnixTimeSeconds((await sandbox.LedgerAsync(Consumer)).Certificates.Max(c => c.End));
            var schedule = Schedule(lastHour);
            var queue = new ConcurrentQueue<ChaosOperation>(schedule);
            var killEvery = Math.Max(1, scenario.Operations / (scenario.Kills + 1));
            var faults = InjectFaultsAsync();
            var workers = Enumerable.Range(0, scenario.Parallelism).Select(_ => WorkAsync(queue, killEvery)).ToList();
            await Task.WhenAll(workers).WaitAsync(stop);
            await StopFaultsAsync();
            await faults;
            await Task.WhenAll(KillsSoFar()).WaitAsync(stop);

            // Quiescence: no faults, every gateway up; what never got an answer is asked again with its key.
            var (operations, rounds) = await QuiesceAsync();
            var ledgers = new Dictionary<Guid, SandboxWalletLedger>();
            foreach (var wallet in Wallets) ledgers[wallet] = await sandbox.LedgerAsync(wallet);
            var requests = await sandbox.RequestsAsync();
            var applied = await sandbox.AppliedFaultsAsync();
            return Figures(schedule.Count, operations, ledgers, requests, applied, rounds, clock.Elapsed);
        }
        catch
        {
            foreach (var node in nodes) log($"{node.Name} output:\n{node.Tail}");
            log($"sandbox output:\n{sandbox.Tail}");
            throw;
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
            if (schema is not null) await PostgresAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE");
            Npgsql.NpgsqlConnection.ClearAllPools();
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A journal file a killed process held: the temp folder is cleaned by the OS.
            }
        }
    }

    internal static string? PostgresConnectionString => Environment.GetEnvironmentVariable("ETT_TEST_POSTGRES") is { Length: > 0 } value ? value : null;

    private static async Task PostgresAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionString ?? throw new InvalidOperationException("ETT_TEST_POSTGRES is not set."));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static Dictionary<string, string> GatewaySettings(ChaosSandbox sandbox, string dataDirectory, string? schema)
    {
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Sandbox__Enabled"] = "false",
            ["Ett__BaseUrl"] = sandbox.EttBaseUrl,
            ["Ett__TokenUrl"] = sandbox.EttTokenUrl,
            ["Ett__Clients__0__Name"] = "trial",
            ["Ett__Clients__0__ClientId"] = SandboxSeed.EttClientId,
            ["Ett__Clients__0__ClientSecret"] = SandboxSeed.EttClientSecret,
            ["Ett__Clients__1__Name"] = "large",
            ["Ett__Clients__1__ClientId"] = SandboxSeed.ThirdEttClientId,
            ["Ett__Clients__1__ClientSecret"] = SandboxSeed.ThirdEttClientSecret,
            ["Ett__Resilience__AttemptTimeout"] = "00:00:02",
            ["Ett__Resilience__Timeout"] = "00:00:06",
            ["Ett__Resilience__BreakDuration"] = "00:00:01",
            ["Ett__Resilience__BreakerMinimumThroughput"] = "20",
            ["Callers__Authority"] = sandbox.IdpIssuer,
            ["Callers__Audience"] = "api://ett-gateway",
            ["Callers__RequireHttpsMetadata"] = "false",
            ["Limits__CallerTokenLimit"] = "100000",
            ["Limits__CallerTokensPerPeriod"] = "100000",
            ["Operations__WorkerInterval"] = "00:00:01",
            ["Operations__LeaseDuration"] = "00:00:05",
            ["Operations__ReconcileAfter"] = "00:00:05",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };
        if (schema is null)
        {
            settings["Operations__DataDirectory"] = dataDirectory;
        }
        else
        {
            settings["Operations__Store"] = "Postgres";
            settings["ConnectionStrings__Operations"] = new NpgsqlConnectionStringBuilder(PostgresConnectionString) { SearchPath = schema, MaxPoolSize = 20 }.ConnectionString;
        }
        return settings;
    }

    /// <summary>The seeded schedule: what is sent, with which key, and whether it is retried or repeated.</summary>
    private List<ChaosOperation> Schedule(DateTimeOffset lastHour)
    {
        var random = new Random(scenario.Seed);
        var operations = new List<ChaosOperation>();
        for (var i = 0; i < scenario.Operations; i++)
        {
            var roll = random.Next(100);
            var (organization, path, body) = roll switch
            {
                < 25 => Transfer(Producer, Trader, random.Next(10_000, 700_000), random.Next(2) == 0 ? "DK1" : null),
                < 40 => Transfer(Producer, Consumer, random.Next(10_000, 500_000), "DK1"),
                // The trader holds each DK2 certificate as two slices: multi-slice legs.
                < 55 => Transfer(Trader, Consumer, random.Next(10_000, 300_000), "DK2"),
                < 70 => Claim(Consumer, lastHour.AddHours(-random.Next(1, 72)), random.Next(1, 4)),
                < 80 => Transfer(Consumer, Trader, random.Next(10_000, 400_000), "DK1"),
                // 1,200 certificates tied in groups of 60: ETT's pages split ties.
                _ => Transfer(Large, Trader, random.Next(100_000, 3_000_000), null),
            };
            operations.Add(new ChaosOperation($"chaos-{scenario.Seed}-{i}", organization, path, body)
            {
                SentTwiceAtOnce = random.NextDouble() < 0.1,
                RetriedWithSameKey = random.NextDouble() < 0.25,
                RepeatedWithNewKey = random.NextDouble() < 0.1,
            });
        }
        return operations;
    }

    private static (Guid, string, string) Transfer(Guid from, Guid to, long quantityWh, string? gridArea) =>
        (from, $"/organizations/{from}/transfers", JsonSerializer.Serialize(new { partnerOrganizationId = to, quantityWh, gridArea }));

    private static (Guid, string, string) Claim(Guid organization, DateTimeOffset from, int hours) =>
        (organization, $"/organizations/{organization}/claims", JsonSerializer.Serialize(new { from, to = from.AddHours(hours), gridArea = "DK1" }));

    private async Task WorkAsync(ConcurrentQueue<ChaosOperation> queue, int killEvery)
    {
        while (queue.TryDequeue(out var operation))
        {
            if (operation.SentTwiceAtOnce) await Task.WhenAll(SendUntilAnsweredAsync(operation), SendUntilAnsweredAsync(operation));
            else await SendUntilAnsweredAsync(operation);
            if (operation.RetriedWithSameKey) await SendUntilAnsweredAsync(operation);
            if (operation.RepeatedWithNewKey)
            {
                Interlocked.Increment(ref repeats);
                queue.Enqueue(operation with { Key = operation.Key + "-again", RepeatedWithNewKey = false, SentTwiceAtOnce = false });
            }

            var finished = Interlocked.Increment(ref done);
            if (finished % killEvery == 0 && Interlocked.Increment(ref killsOrdered) <= scenario.Kills)
            {
                GatewayNode victim;
                lock (runtimeSync) victim = nodes[runtime.Next(nodes.Count)];
                lock (kills) kills.Add(victim.KillAndRestartAsync());
            }
        }
    }

    private Task[] KillsSoFar()
    {
        lock (kills) return [.. kills];
    }

    /// <summary>
    /// Sends until the gateway answers 202 or 422 (the same key every time), trying another instance after a failure.
    /// A 409 (another attempt holds the key: the other of two sent at once, or one a kill cut off until its lease ends)
    /// leaves the request to quiescence, as does running out of attempts.
    /// </summary>
    private async Task SendUntilAnsweredAsync(ChaosOperation operation)
    {
        for (var attempt = 0; attempt < SendAttempts; attempt++)
        {
            switch (await SendOnceAsync(operation))
            {
                case Answer.Answered:
                    return;
                case Answer.KeyInFlight:
                    unanswered.Enqueue(operation);
                    return;
            }
        }
        unanswered.Enqueue(operation);
    }

    private enum Answer { Answered, KeyInFlight, Failed }

    /// <summary>One attempt on an instance that is up (awaiting a restart when none is, or when the instance dies under the request).</summary>
    private async Task<Answer> SendOnceAsync(ChaosOperation operation)
    {
        var node = PickNode();
        if (node is null)
        {
            await await Task.WhenAny(nodes.Select(n => n.WhenUp)).WaitAsync(stop);
            return Answer.Failed;
        }
        await TopUpFaultsAsync();
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, operation.Path)
            {
                Content = new StringContent(operation.Body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Idempotency-Key", operation.Key);
            response = await node.Http.SendAsync(request, stop);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException && !stop.IsCancellationRequested)
        {
            // The instance died under the request, or is restarting: at once again when it is up (it may be already).
            await node.WhenUp.WaitAsync(stop);
            return Answer.Failed;
        }
        using (response)
        {
            switch (response.StatusCode)
            {
                case HttpStatusCode.Accepted:
                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(stop);
                    operationsByKey.GetOrAdd(operation.Key, _ => []).Add(body.GetProperty("operationId").GetGuid());
                    Interlocked.Increment(ref accepted);
                    return Answer.Answered;
                case HttpStatusCode.UnprocessableEntity:
                    Interlocked.Increment(ref refused);
                    return Answer.Answered;
                case HttpStatusCode.BadRequest:
                    throw new InvalidOperationException($"The schedule sent a request the gateway refuses: {operation.Body}\n{await response.Content.ReadAsStringAsync(stop)}");
                case HttpStatusCode.Conflict:
                    return Answer.KeyInFlight;
                default:
                    // 5xx (ETT failed under the request, or the gateway's breaker is open), 429.
                    return Answer.Failed;
            }
        }
    }

    private GatewayNode? PickNode()
    {
        var up = nodes.Where(n => n.Up).ToList();
        if (up.Count == 0) return null;
        lock (runtimeSync) return up[runtime.Next(up.Count)];
    }

    /// <summary>
    /// Tops the faults in force up to <see cref="ChaosScenario.FaultsInForce"/> random ETT faults, each for one to three
    /// matching calls or 20 to 60 calls of any kind (so a fault on a path rarely called does not hold its place).
    /// </summary>
    private async Task<bool> TopUpFaultsAsync()
    {
        await faultsSync.WaitAsync(stop);
        try
        {
            if (!faultsOn) return false;
            var missing = scenario.FaultsInForce - await sandbox.ActiveFaultsAsync();
            for (var i = 0; i < missing; i++) await sandbox.AddFaultAsync(RandomFault(faultRandom));
            return true;
        }
        finally
        {
            faultsSync.Release();
        }
    }

    /// <summary>
    /// Tops the faults up whenever ETT has nothing in hand, so that the gateways' workers meet them between the schedule's
    /// requests too; ends when quiescence begins.
    /// </summary>
    private async Task InjectFaultsAsync()
    {
        for (var round = 0; round < FaultRounds && await TopUpFaultsAsync(); round++) await sandbox.IdleAsync();
    }

    /// <summary>Quiescence begins: no fault is added after these are cleared.</summary>
    private async Task StopFaultsAsync()
    {
        await faultsSync.WaitAsync(stop);
        try
        {
            faultsOn = false;
            await sandbox.ClearFaultsAsync();
        }
        finally
        {
            faultsSync.Release();
        }
    }

    private static SandboxFault RandomFault(Random random)
    {
        // Where a fault can strike: the POSTs that move certificates, and every read the engine decides by.
        (string Method, string Path)[] targets =
        [
            ("POST", "*/wallet-api/transfers"), ("POST", "*/wallet-api/transfers"), ("POST", "*/wallet-api/claims"),
            ("GET", "*/wallet-api/certificates"), ("GET", "*/wallet-api/request-status/*"), ("GET", "*/wallet-api/transfers"),
            ("GET", "*/wallet-api/claims"), ("GET", "*/wallet-api/request-status/*"),
        ];
        var (method, path) = targets[random.Next(targets.Length)];
        var posting = method == "POST";
        var kinds = posting
            ? new[] { SandboxFaultKind.ResponseLost, SandboxFaultKind.ResponseLost, SandboxFaultKind.Status, SandboxFaultKind.Reset, SandboxFaultKind.Html, SandboxFaultKind.Truncated, SandboxFaultKind.Latency, SandboxFaultKind.Hang }
            : new[] { SandboxFaultKind.Status, SandboxFaultKind.Status, SandboxFaultKind.Reset, SandboxFaultKind.Html, SandboxFaultKind.Truncated, SandboxFaultKind.Latency, SandboxFaultKind.Hang };
        var kind = kinds[random.Next(kinds.Length)];
        return new SandboxFault
        {
            Kind = kind,
            Method = method,
            Path = path,
            Times = random.Next(1, 4),
            ExpiresAfterRequests = random.Next(20, 61),
            // A 404 request-status: ETT no longer knows the request (the engine decides from ETT's lists after a few).
            Status = kind == SandboxFaultKind.Status ? (path.Contains("request-status", StringComparison.Ordinal) && random.Next(3) == 0 ? 404 : random.Next(2) == 0 ? 503 : 500) : null,
            // Latency and hangs run on the sandbox's clock, as ETT's own would.
            Delay = kind switch
            {
                SandboxFaultKind.Latency => TimeSpan.FromMilliseconds(random.Next(50, 1500)),
                SandboxFaultKind.Hang => TimeSpan.FromSeconds(3),
                _ => null,
            },
        };
    }

    /// <summary>
    /// Rounds until every request has an answer and every accepted operation is final, at most <see cref="QuiescenceRounds"/>:
    /// each waits until ETT has nothing in hand, asks the unanswered keys again and reads the open operations. What is
    /// not final when the rounds run out is stuck; the safety limit fails the run with the operations still open.
    /// </summary>
    private async Task<(IReadOnlyList<JsonElement> Operations, int Rounds)> QuiesceAsync()
    {
        var settled = new Dictionary<Guid, JsonElement>();
        var rounds = 0;
        try
        {
            while (rounds < QuiescenceRounds)
            {
                rounds++;
                // Not "the next ETT call": the worker records a leg's end after ETT's answer, and the last needs none after it.
                await sandbox.IdleAsync();
                var asked = unanswered.Count;
                for (var i = 0; i < asked && unanswered.TryDequeue(out var operation); i++)
                    if (await SendOnceAsync(operation) != Answer.Answered) unanswered.Enqueue(operation);

                var open = false;
                foreach (var id in operationsByKey.Values.SelectMany(ids => ids).Distinct().Where(id => !settled.TryGetValue(id, out var known) || !IsFinal(known)))
                {
                    var node = PickNode() ?? nodes[0];
                    try
                    {
                        using var response = await node.Http.GetAsync($"/operations/{id}", stop);
                        if (response.IsSuccessStatusCode) settled[id] = await response.Content.ReadFromJsonAsync<JsonElement>(stop);
                    }
                    catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
                    {
                        // Asked again next round.
                    }
                    open |= !settled.TryGetValue(id, out var now) || !IsFinal(now);
                }
                if (!open && unanswered.IsEmpty) break;
            }
        }
        catch (OperationCanceledException cancelled) when (stop.IsCancellationRequested)
        {
            throw new TimeoutException($"Not quiescent within {SafetyLimit} ({rounds} rounds): {unanswered.Count} request(s) unanswered, open operations " +
                string.Join("; ", settled.Values.Where(o => !IsFinal(o))), cancelled);
        }
        var ids = operationsByKey.Values.SelectMany(ids => ids).Distinct().ToList();
        return ([.. ids.Select(id => settled.TryGetValue(id, out var operation) ? operation : default)], rounds);
    }

    private static bool IsFinal(JsonElement operation) =>
        operation.ValueKind == JsonValueKind.Object && operation.GetProperty("status").GetString() is "completed" or "failed" or "partiallyCompleted";

    private ChaosFigures Figures(
        int scheduled, IReadOnlyList<JsonElement> operations, Dictionary<Guid, SandboxWalletLedger> ledgers,
        IReadOnlyList<EttRequest> requests, IReadOnlyList<AppliedSandboxFault> applied, int rounds, TimeSpan duration)
    {
        var findings = new List<string>();
        var known = operations.Where(o => o.ValueKind == JsonValueKind.Object).ToList();
        var stuck = operations.Count - known.Count(IsFinal);
        foreach (var operation in known.Where(o => !IsFinal(o)))
            findings.Add($"stuck: operation {operation.GetProperty("operationId")} {operation.GetProperty("status")}: " +
                string.Join("; ", operation.GetProperty("legs").EnumerateArray().Where(l => l.GetProperty("status").GetString() is not ("completed" or "failed"))
                    .Select(l => $"{l.GetProperty("status")} {(l.TryGetProperty("detail", out var d) ? d.ToString() : "")}")));

        var legs = known.SelectMany(o => o.GetProperty("legs").EnumerateArray().Select(l => (Operation: o, Leg: l))).ToList();
        var failedLegs = legs.Where(x => x.Leg.GetProperty("status").GetString() == "failed").ToList();
        foreach (var (operation, leg) in failedLegs)
            findings.Add($"failed leg (a 202 for quantity ETT did not have?): operation {operation.GetProperty("operationId")} {operation.GetProperty("kind")} " +
                $"{leg.GetProperty("quantityWh")} Wh of {leg.GetProperty("certificate").GetProperty("streamId")}: {(leg.TryGetProperty("detail", out var d) ? d.ToString() : "")}");

        foreach (var (operation, leg) in failedLegs.Take(3))
        {
            var organization = operation.GetProperty("organizationId").GetGuid();
            var certificate = leg.GetProperty("certificate").GetProperty("streamId").GetGuid();
            var ledger = ledgers.GetValueOrDefault(organization);
            findings.Add($"  wallet {organization}: slices {string.Join(", ", ledger?.Certificates.Where(c => c.StreamId == certificate).SelectMany(c => c.Slices).Select(x => $"{x.QuantityWh} {x.State}") ?? [])}; " +
                $"transfers {string.Join(", ", ledger?.Transfers.Where(t => t.StreamId == certificate).Select(t => $"{t.QuantityWh} {t.State} req {t.RequestId.ToString()[..8]}") ?? [])}; " +
                $"claims {string.Join(", ", ledger?.Claims.Where(c => c.ProductionStreamId == certificate || c.ConsumptionStreamId == certificate).Select(c => $"{c.QuantityWh} req {c.RequestId.ToString()[..8]}") ?? [])}");
            foreach (var (other, otherLeg) in legs.Where(x => x.Operation.GetProperty("organizationId").GetGuid() == organization
                && (x.Leg.GetProperty("certificate").GetProperty("streamId").GetGuid() == certificate
                    || (x.Leg.TryGetProperty("consumptionCertificate", out var c) && c.ValueKind == JsonValueKind.Object && c.GetProperty("streamId").GetGuid() == certificate))))
                findings.Add($"  leg of {other.GetProperty("operationId").ToString()[..13]} {other.GetProperty("kind")} created {other.GetProperty("createdAt")}: {otherLeg.GetProperty("quantityWh")} Wh " +
                    $"{otherLeg.GetProperty("status")} req {(otherLeg.TryGetProperty("ettRequestId", out var r) ? r.ToString() : "-")} {(otherLeg.TryGetProperty("detail", out var d) ? d.ToString() : "")}");
        }

        // The gateway's account per wallet, kind and production certificate: what its completed legs say moved.
        var claimed = new Dictionary<(Guid, string, Guid), long>();
        var open = new HashSet<(Guid, string, Guid)>();
        foreach (var (operation, leg) in legs)
        {
            var key = (operation.GetProperty("organizationId").GetGuid(), operation.GetProperty("kind").GetString()!, leg.GetProperty("certificate").GetProperty("streamId").GetGuid());
            var status = leg.GetProperty("status").GetString();
            if (status == "completed") claimed[key] = claimed.GetValueOrDefault(key) + leg.GetProperty("quantityWh").GetInt64();
            else if (status != "failed") open.Add(key);
        }
        // ETT's account: every slice its requests moved (the seed's own transfers carry no request id).
        var moved = new Dictionary<(Guid, string, Guid), long>();
        foreach (var (wallet, ledger) in ledgers)
        {
            foreach (var slice in ledger.Transfers.Where(t => t.RequestId != Guid.Empty && t.State == "completed"))
                moved[(wallet, "transfer", slice.StreamId)] = moved.GetValueOrDefault((wallet, "transfer", slice.StreamId)) + slice.QuantityWh;
            foreach (var pair in ledger.Claims.Where(c => c.RequestId != Guid.Empty))
                moved[(wallet, "claim", pair.ProductionStreamId)] = moved.GetValueOrDefault((wallet, "claim", pair.ProductionStreamId)) + pair.QuantityWh;
        }
        int duplicates = 0, lost = 0;
        long duplicatedWh = 0, lostWh = 0;
        foreach (var key in claimed.Keys.Union(moved.Keys).Where(k => !open.Contains(k)))
        {
            var difference = moved.GetValueOrDefault(key) - claimed.GetValueOrDefault(key);
            if (difference > 0)
            {
                duplicates++;
                duplicatedWh += difference;
                findings.Add($"duplicate: ETT moved {moved.GetValueOrDefault(key)} Wh of {key.Item3} ({key.Item2} from {key.Item1}), the gateway's completed legs {claimed.GetValueOrDefault(key)} Wh");
            }
            else if (difference < 0)
            {
                lost++;
                lostWh -= difference;
                findings.Add($"lost: the gateway's completed legs say {claimed.GetValueOrDefault(key)} Wh of {key.Item3} ({key.Item2} from {key.Item1}) moved, ETT moved {moved.GetValueOrDefault(key)} Wh");
            }
        }
        // Each wallet's change as a whole: what ETT moved out of it equals its completed operations.
        var walletsOff = 0;
        foreach (var wallet in Wallets)
        {
            var ett = moved.Where(m => m.Key.Item1 == wallet).Sum(m => m.Value);
            var gateway = known.Where(o => o.GetProperty("organizationId").GetGuid() == wallet).Sum(o => o.GetProperty("completedWh").GetInt64());
            if (ett != gateway)
            {
                walletsOff++;
                findings.Add($"wallet {wallet}: ETT moved {ett} Wh, the gateway's completed operations {gateway} Wh");
            }
        }
        var keysWithTwo = operationsByKey.Count(k => k.Value.Distinct().Count() > 1);
        foreach (var key in operationsByKey.Where(k => k.Value.Distinct().Count() > 1))
            findings.Add($"key {key.Key} answered with operations {string.Join(", ", key.Value.Distinct())}");

        // Faults that answer before ETT's handler never reach its request log; the others are in it.
        var shortCircuited = applied.Count(a => a.Kind is SandboxFaultKind.Status or SandboxFaultKind.Reset or SandboxFaultKind.Hang or SandboxFaultKind.Html);
        var ettCalls = requests.Count(r => r.Path.StartsWith("/sandbox/ett", StringComparison.Ordinal)) + shortCircuited;
        return new ChaosFigures
        {
            Seed = scenario.Seed,
            Store = scenario.Postgres ? "postgres" : "sqlite",
            Instances = scenario.Instances,
            Operations = scheduled + repeats,
            Accepted = accepted,
            Refused = refused,
            Unanswered = unanswered.Count,
            EttCalls = ettCalls,
            FaultedCalls = applied.Count,
            ResponsesLost = applied.Count(a => a.Kind == SandboxFaultKind.ResponseLost),
            Kills = nodes.Sum(n => n.Kills),
            Legs = legs.Count,
            Duplicates = duplicates + keysWithTwo,
            DuplicatedWh = duplicatedWh,
            Lost = lost,
            LostWh = lostWh,
            Stuck = stuck,
            FailedLegs = failedLegs.Count,
            KeysWithTwoOperations = keysWithTwo,
            WalletsOff = walletsOff,
            QuiescenceRounds = rounds,
            Duration = duration,
            Findings = findings,
        };
    }
}

/// <summary>One scheduled request: the same key on every retry.</summary>
internal sealed record ChaosOperation(string Key, Guid OrganizationId, string Path, string Body)
{
    public bool SentTwiceAtOnce { get; init; }
    public bool RetriedWithSameKey { get; init; }
    public bool RepeatedWithNewKey { get; init; }
}
