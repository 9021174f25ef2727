using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ett.Sandbox;
using Npgsql;

namespace Ett.Gateway.Bench;

/// <summary>The run: starts upstream, bare YARP and the gateway as processes of their own, measures them, writes the report.</summary>
internal static class Bench
{
    private const string PostgresConnection = "Host=127.0.0.1;Port=5432;Username=ett_test;Password=ett_test_password;Database=ett_test";
    private static readonly Guid Producer = SandboxSeed.ProducerOrganizationId;
    private static readonly Guid Consumer = SandboxSeed.ConsumerOrganizationId;

    public static async Task<int> RunAsync(BenchSettings settings)
    {
        var started = Stopwatch.StartNew();
        var repo = RepositoryRoot();
        var configuration = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var self = typeof(Bench).Assembly.Location;
        var gatewayDll = Path.Combine(repo, "src/Ett.Gateway/bin", configuration, "net10.0/Ett.Gateway.dll");
        var probe = Path.Combine(repo, "bench/Ett.Gateway.Bench.Probe/bin", configuration, "net10.0/Ett.Gateway.Bench.Probe.dll");
        Wrk.EnsureInstalled();

        var report = new Report(settings, repo, configuration);
        var data = Directory.CreateTempSubdirectory("ett-bench-");
        try
        {
            await using var upstream = await ServerProcess.StartAsync("upstream", self, "upstream", new Dictionary<string, string>(), "/bench/counters", probe);
            var ett = upstream.BaseUrl + BenchUpstream.EttPrefix;
            await using var yarp = await ServerProcess.StartAsync("bare YARP", self, $"yarp {ett}", new Dictionary<string, string>(), "/", probe);
            await using var gateway = await StartGatewayAsync(gatewayDll, probe, upstream, GatewayStore.Sqlite(data.FullName));
            using var http = Http.NewClient();
            var token = await CallerTokenAsync(http, upstream);

            var oneKb = $"{BenchUpstream.OneKbPath}&organizationId={Producer}";
            var arms = new Arm[]
            {
                new("direct", ett + oneKb, upstream),
                new("bare YARP", yarp.BaseUrl + "/ett" + oneKb, yarp),
                new("gateway", gateway.BaseUrl + "/ett" + oneKb, gateway),
            };
            foreach (var arm in arms) await ExpectAsync(http, token, arm.Url, HttpStatusCode.OK, BenchUpstream.OneKb.Length);

            if (settings.Runs("passthrough")) await Passthrough(settings, report, arms, token);
            if (settings.Runs("streams")) await Streams(settings, report, http, token, gateway);
            if (settings.Runs("soak")) await Soak(settings, report, http, token, gateway, arms[2].Url);
            if (settings.Runs("composites")) await Composites(settings, report, http, token, upstream, gateway);
            if (settings.Runs("transfers")) await Transfers(settings, report, http, token, upstream, gateway, "SQLite", measureWorker: true);
            report.TokenRequests = await CountersAsync(http, upstream, "tokenRequests");
            report.TokenRun = started.Elapsed;

            if (settings.Runs("transfers")) await TransfersOnPostgresAsync(settings, report, http, token, upstream, gatewayDll, probe);
        }
        finally
        {
            data.Delete(recursive: true);
        }

        report.Elapsed = started.Elapsed;
        var markdown = report.ToMarkdown();
        Console.WriteLine(markdown);
        // A quick or --only run prints its tables but keeps RESULTS.md (a full run's figures and notes) unless --output says where.
        var output = settings.Output ?? (settings.Quick || settings.Only is not null ? null : Path.Combine(repo, "bench/RESULTS.md"));
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, markdown + Report.NotesOf(output));
            Console.WriteLine($"bench: wrote {output}");
        }
        foreach (var failure in report.Failures) Console.WriteLine($"bench failure: {failure}");
        Console.WriteLine($"bench: {(report.Failures.Count == 0 ? "ok" : "FAILED")} in {started.Elapsed.TotalSeconds:0} s");
        return report.Failures.Count == 0 ? 0 : 1;
    }

    private static async Task TransfersOnPostgresAsync(BenchSettings settings, Report report, HttpClient http, string token, ServerProcess upstream, string gatewayDll, string probe)
    {
        await using var postgres = await PostgresSchemaAsync();
        if (postgres is null)
        {
            report.Notes.Add($"PostgreSQL at {PostgresConnection.Split(";Password")[0]} unreachable: its transfer rows are skipped.");
            return;
        }
        await using var gateway = await StartGatewayAsync(gatewayDll, probe, upstream, GatewayStore.Postgres(postgres.ConnectionString));
        await Transfers(settings, report, http, token, upstream, gateway, "PostgreSQL", measureWorker: false);
    }

    private sealed record Arm(string Name, string Url, ServerProcess Server);

    private static async Task Passthrough(BenchSettings s, Report report, Arm[] arms, string token)
    {
        foreach (var arm in arms) Wrk.Run(arm.Url, token, s.Connections, s.WrkThreads, s.Warmup);
        for (var round = 0; round < s.Rounds; round++)
        {
            foreach (var arm in arms)
            {
                var before = arm.Server.Snapshot();
                var result = Wrk.Run(arm.Url, token, s.Connections, s.WrkThreads, s.Round);
                var used = arm.Server.Snapshot() - before;
                report.Throughput.Add(new ArmRound(arm.Name, result, used));
                if (result.Errors > 0) report.Failures.Add($"{arm.Name}: {result.Errors} failed requests of {result.Requests} in round {round + 1}");
            }
        }

        foreach (var arm in arms) report.OneConnection[arm.Name] = Wrk.Run(arm.Url, token, 1, 1, s.Latency);

        report.HalfRate = report.Median("gateway", r => r.Load.PerSecond) / 2;
        using var client = Http.NewClient();
        foreach (var arm in arms)
        {
            await Http.OpenLoopAsync(client, arm.Url, token, report.HalfRate, TimeSpan.FromSeconds(1));
            report.HalfLoad[arm.Name] = await Http.OpenLoopAsync(client, arm.Url, token, report.HalfRate, s.OpenLoop);
        }
    }

    private static async Task Streams(BenchSettings s, Report report, HttpClient http, string token, ServerProcess gateway)
    {
        var download = $"{gateway.BaseUrl}/ett{BenchUpstream.DownloadPath}&bytes={s.StreamBytes}&organizationId={Producer}";
        report.Download = await WatchWorkingSetAsync(gateway, async () =>
        {
            using var request = Authorized(HttpMethod.Get, download, token);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[64 * 1024];
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0) total += read;
            return ((int)response.StatusCode, total);
        });

        var upload = $"{gateway.BaseUrl}/ett{BenchUpstream.UploadPath}&organizationId={Producer}";
        report.Upload = await WatchWorkingSetAsync(gateway, async () =>
        {
            using var request = Authorized(HttpMethod.Post, upload, token);
            request.Content = new ZeroContent(s.StreamBytes);
            try
            {
                using var response = await http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                var received = response.IsSuccessStatusCode ? JsonDocument.Parse(text).RootElement.GetProperty("bytes").GetInt64() : 0;
                return ((int)response.StatusCode, received);
            }
            catch (HttpRequestException)
            {
                return (0, 0L); // the gateway closed the connection while the body was still being sent
            }
        });
    }

    private static async Task<StreamResult> WatchWorkingSetAsync(ServerProcess server, Func<Task<(int Status, long Bytes)>> transfer)
    {
        var start = server.WorkingSet();
        var peak = start;
        using var done = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                peak = Math.Max(peak, server.WorkingSet());
                await Task.Delay(5);
            }
        });
        var clock = Stopwatch.StartNew();
        var (status, bytes) = await transfer();
        var seconds = clock.Elapsed.TotalSeconds;
        done.Cancel();
        await watcher;
        return new StreamResult(status, bytes, seconds, start, Math.Max(peak, server.WorkingSet()));
    }

    private static async Task Soak(BenchSettings s, Report report, HttpClient http, string token, ServerProcess gateway, string url)
    {
        if (report.HalfRate is 0 or double.NaN) report.HalfRate = 1000;
        var start = gateway.WorkingSet();
        var result = await Http.OpenLoopAsync(http, url, token, report.HalfRate, s.Soak);
        report.Soak = new SoakResult(result, start, gateway.WorkingSet());
        if (result.Errors > 0) report.Failures.Add($"soak: {result.Errors} failed requests of {result.Requests}");
    }

    private static async Task Composites(BenchSettings s, Report report, HttpClient http, string token, ServerProcess upstream, ServerProcess gateway)
    {
        await http.PostAsync(upstream.BaseUrl + "/bench/canned/true", null);
        var reads = new (string Name, string Path)[]
        {
            ("GET /organizations", "/organizations"),
            ("GET /organizations/{id}/certificates?limit=50", $"/organizations/{Producer}/certificates?limit=50"),
            ("GET /organizations/{id}/wallet", $"/organizations/{Producer}/wallet"),
        };
        foreach (var (name, path) in reads)
        {
            report.Composites.Add(await MeasureReadAsync(s, http, token, upstream, gateway, name, gateway.BaseUrl + path, report));
        }

        // The same ETT answer the certificates page was built from, proxied as it is.
        var query = await http.GetStringAsync(upstream.BaseUrl + "/bench/last-query?path=wallet-api/certificates");
        report.Composites.Add(await MeasureReadAsync(s, http, token, upstream, gateway, "passthrough of the same ETT certificates answer",
            $"{gateway.BaseUrl}/ett/wallet-api/certificates{query}", report));
        await http.PostAsync(upstream.BaseUrl + "/bench/canned/false", null);
    }

    private static async Task<ReadResult> MeasureReadAsync(BenchSettings s, HttpClient http, string token, ServerProcess upstream, ServerProcess gateway, string name, string url, Report report)
    {
        await ExpectAsync(http, token, url, HttpStatusCode.OK, null);
        // Until the runtime's tiered compiler has optimised a composite's larger code path: its CPU would otherwise be
        // counted against the few requests of the measured run.
        Wrk.Run(url, token, 8, s.WrkThreads, s.CompositeWarmup);
        var ettBefore = await CountersAsync(http, upstream, "ettRequests");
        var before = gateway.Snapshot();
        var result = Wrk.Run(url, token, 8, s.WrkThreads, s.Composite);
        var used = gateway.Snapshot() - before;
        var ettCalls = await CountersAsync(http, upstream, "ettRequests") - ettBefore;
        if (result.Errors > 0) report.Failures.Add($"{name}: {result.Errors} failed requests of {result.Requests}");
        return new ReadResult(name, result, used, (double)ettCalls / result.Requests);
    }

    private static async Task Transfers(BenchSettings s, Report report, HttpClient http, string token, ServerProcess upstream, ServerProcess gateway, string store, bool measureWorker)
    {
        var url = $"{gateway.BaseUrl}/organizations/{Producer}/transfers";
        var body = JsonSerializer.Serialize(new { partnerOrganizationId = Consumer, quantityWh = 1 });
        var run = Guid.NewGuid().ToString("N")[..8];
        var locations = new System.Collections.Concurrent.ConcurrentQueue<string>();
        string? firstError = null;
        // Each load phase numbers its requests from 1: the phase is part of the key, so no phase replays another's.
        var phase = 0;

        async Task<bool> Send(int client, long sequence)
        {
            using var request = Authorized(HttpMethod.Post, url, token);
            request.Headers.Add("Idempotency-Key", $"bench-{run}-{phase}-{sequence}");
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                locations.Enqueue(response.Headers.Location!.ToString());
                return true;
            }
            firstError ??= $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            return false;
        }

        if (!await Send(0, 0)) report.Failures.Add($"{store} transfer warm-up: {firstError}");
        // As the composites: until the tiered compiler has optimised the transfer path, its CPU would be charged to the
        // few hundred measured requests of the one-client phase.
        await Http.ClosedLoopAsync(1, s.TransferWarmup, Send);
        foreach (var clients in new[] { 1, 8 })
        {
            locations.Clear();
            phase++;
            var before = gateway.Snapshot();
            var result = await Http.ClosedLoopAsync(clients, s.Transfers, Send);
            var used = gateway.Snapshot() - before;
            report.TransferRuns.Add(new ReadResult($"{store}, {clients} client{(clients == 1 ? "" : "s")}, fast ETT", result, used, double.NaN));
            if (result.Errors > 0) report.Failures.Add($"{store} transfers, {clients} clients: {result.Errors} of {result.Requests} not accepted, first: {firstError}");
        }

        if (measureWorker)
        {
            var sample = locations.Reverse().Take(50).ToArray();
            var clock = Stopwatch.StartNew();
            var pending = sample.Length;
            while (clock.Elapsed < s.WorkerWait)
            {
                pending = 0;
                foreach (var location in sample)
                {
                    using var request = Authorized(HttpMethod.Get, gateway.BaseUrl + location, token);
                    using var response = await http.SendAsync(request);
                    var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString();
                    if (status is "accepted" or "running") pending++;
                }
                if (pending == 0) break;
                await Task.Delay(250);
            }
            report.Worker = new WorkerResult(sample.Length, pending, clock.Elapsed, s.WorkerWait);

            // One organization, 8 clients, every ETT call 200 ms late.
            await http.PostAsync(upstream.BaseUrl + "/bench/latency/200", null);
            phase++;
            try
            {
                var result = await Http.ClosedLoopAsync(8, s.Transfers * 2, Send);
                report.TransferRuns.Add(new ReadResult($"{store}, 8 clients, one organization, ETT 200 ms", result, default, double.NaN));
                if (result.Errors > 0) report.Failures.Add($"{store} transfers with latency: {result.Errors} of {result.Requests} not accepted, first: {firstError}");
            }
            finally
            {
                await http.PostAsync(upstream.BaseUrl + "/bench/latency/0", null);
            }
        }
    }

    private sealed record GatewayStore(IReadOnlyDictionary<string, string> Settings)
    {
        public static GatewayStore Sqlite(string directory) => new(new Dictionary<string, string>
        {
            ["Operations__Store"] = "Sqlite",
            ["Operations__DataDirectory"] = directory,
        });

        public static GatewayStore Postgres(string connection) => new(new Dictionary<string, string>
        {
            ["Operations__Store"] = "Postgres",
            ["ConnectionStrings__Operations"] = connection,
        });
    }

    /// <summary>The gateway as deployed: Production, caller JWTs from the RSA-signing IdP, an ETT client, an organization list for the caller.</summary>
    private static Task<ServerProcess> StartGatewayAsync(string dll, string probe, ServerProcess upstream, GatewayStore store)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Ett__BaseUrl"] = upstream.BaseUrl + BenchUpstream.EttPrefix,
            ["Ett__TokenUrl"] = upstream.BaseUrl + "/sandbox/ett-token",
            ["Ett__ClientId"] = SandboxSeed.EttClientId,
            ["Ett__ClientSecret"] = SandboxSeed.EttClientSecret,
            ["Callers__Authority"] = upstream.BaseUrl + "/sandbox/idp",
            ["Callers__Audience"] = new SandboxOptions().IdpAudience,
            ["Callers__RequireHttpsMetadata"] = "false",
            [$"Callers__Organizations__{SandboxSeed.CallerClientId}__0"] = Producer.ToString(),
            [$"Callers__Organizations__{SandboxSeed.CallerClientId}__1"] = Consumer.ToString(),
            ["Callers__DefaultOrganizations__0"] = Guid.Empty.ToString(),
            // The per-caller rate limiter stays on (its cost is measured) with a bucket the one bench caller never empties.
            ["Limits__CallerTokenLimit"] = "100000000",
            ["Limits__CallerTokensPerPeriod"] = "100000000",
            // The streams phase uploads more than the passthrough's default 10 MB body limit.
            ["Limits__PassthroughMaxBodyBytes"] = (2L * 1024 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in store.Settings) environment[key] = value;
        return ServerProcess.StartAsync("gateway", dll, "", environment, "/health/live", probe);
    }

    private static async Task<string> CallerTokenAsync(HttpClient http, ServerProcess upstream)
    {
        using var response = await http.PostAsync(upstream.BaseUrl + "/sandbox/idp/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = SandboxSeed.CallerClientId,
            ["client_secret"] = SandboxSeed.CallerClientSecret,
        }));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    private static async Task ExpectAsync(HttpClient http, string token, string url, HttpStatusCode status, int? length)
    {
        using var request = Authorized(HttpMethod.Get, url, token);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != status || (length is not null && body.Length != length))
            throw new InvalidOperationException($"GET {url} answered {(int)response.StatusCode} with {body.Length} bytes: {Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 500)))}");
    }

    private static async Task<long> CountersAsync(HttpClient http, ServerProcess upstream, string name) =>
        (await http.GetFromJsonAsync<JsonElement>(upstream.BaseUrl + "/bench/counters")).GetProperty(name).GetInt64();

    private static HttpRequestMessage Authorized(HttpMethod method, string url, string token)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new("Bearer", token);
        return request;
    }

    /// <summary>A schema of its own on the test PostgreSQL, dropped afterwards; null when the server is unreachable.</summary>
    private static async Task<PostgresSchema?> PostgresSchemaAsync()
    {
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", 5432).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return null;
        }
        var schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(PostgresConnection);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection)) await create.ExecuteNonQueryAsync();
        return new PostgresSchema(schema, new NpgsqlConnectionStringBuilder(PostgresConnection) { SearchPath = schema }.ConnectionString);
    }

    private sealed record PostgresSchema(string Schema, string ConnectionString) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using var connection = new NpgsqlConnection(PostgresConnection);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA {Schema} CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Ett.Gateway.sln"))) return dir.FullName;
        throw new InvalidOperationException("Run the bench from the repository (Ett.Gateway.sln not found above " + AppContext.BaseDirectory + ").");
    }

    /// <summary>A body of zeros written in chunks as it is sent, never held whole.</summary>
    private sealed class ZeroContent(long length) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = new byte[64 * 1024];
            for (var left = length; left > 0; left -= chunk.Length)
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)));
        }

        protected override bool TryComputeLength(out long size)
        {
            size = length;
            return true;
        }
    }
}
