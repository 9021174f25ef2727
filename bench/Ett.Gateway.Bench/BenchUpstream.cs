using System.Collections.Concurrent;
using Ett.Sandbox;

namespace Ett.Gateway.Bench;

/// <summary>
/// "ETT" on loopback: a fixed 1 KB JSON answer, a streamed blob and a sink for the passthrough; the real sandbox
/// (ETT token endpoint, RSA-signing development IdP with JWKS, wallet) for composites and transfers — whose GET answers
/// can be canned (recorded once, replayed byte for byte) so the sandbox's cost is not in the composite figures — and an
/// injectable latency for every sandbox ETT call.
/// </summary>
internal static class BenchUpstream
{
    public const string EttPrefix = "/sandbox/ett";

    // Real ETT paths (so a passthrough allow-list lets them through), answered by the bench when the query says so.
    public const string OneKbPath = "/api/measurements/meteringpoints?bench=1kb";
    // The producer's own report: the gateway checks that the organization holds the report before it forwards.
    public static readonly string DownloadPath = $"/api/reports/{SandboxSeed.ProducerReportId}/download?bench=blob";
    public const string UploadPath = "/api/certificates/contracts?bench=sink";

    public static readonly byte[] OneKb = OneKbBody();

    public static async Task RunAsync(string url)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        builder.Services.AddRouting();
        builder.Services.AddEttSandbox();
        var app = builder.Build();

        var state = new State();
        app.Use((context, next) => Intercept(state, context, next));

        app.MapGet("/bench/counters", () => Results.Json(new { tokenRequests = state.TokenRequests, ettRequests = state.EttRequests }));
        app.MapPost("/bench/canned/{on:bool}", (bool on) => { state.Canned = on; return Results.NoContent(); });
        app.MapPost("/bench/latency/{ms:int}", (int ms) => { state.LatencyMs = ms; return Results.NoContent(); });
        app.MapGet("/bench/last-query", (string path) => state.LastQuery.TryGetValue(path, out var q) ? Results.Text(q) : Results.NotFound());
        app.MapEttSandbox();
        await app.RunAsync();
    }

    private sealed class State
    {
        public volatile bool Canned;
        public volatile int LatencyMs;
        public long TokenRequests;
        public long EttRequests;
        public readonly ConcurrentDictionary<string, (int Status, string? ContentType, byte[] Body)> Recorded = new();
        public readonly ConcurrentDictionary<string, string> LastQuery = new();
    }

    private static async Task Intercept(State state, HttpContext http, Func<Task> next)
    {
        var path = http.Request.Path.Value ?? "";
        if (path == "/sandbox/ett-token") Interlocked.Increment(ref state.TokenRequests);
        if (!path.StartsWith(EttPrefix + "/", StringComparison.Ordinal))
        {
            await next();
            return;
        }

        switch (http.Request.Query["bench"].ToString())
        {
            case "1kb":
                http.Response.ContentType = "application/json";
                http.Response.ContentLength = OneKb.Length;
                await http.Response.Body.WriteAsync(OneKb);
                return;
            case "blob":
                await WriteBlobAsync(http, long.Parse(http.Request.Query["bytes"].ToString()));
                return;
            case "sink":
                await DrainAsync(http);
                return;
        }

        Interlocked.Increment(ref state.EttRequests);
        state.LastQuery[path[(EttPrefix.Length + 1)..]] = http.Request.QueryString.Value ?? "";
        if (state.LatencyMs > 0) await Task.Delay(state.LatencyMs);
        if (!state.Canned || !HttpMethods.IsGet(http.Request.Method) || path.Contains("/request-status/", StringComparison.Ordinal))
        {
            await next();
            return;
        }

        var key = path + http.Request.QueryString.Value;
        if (!state.Recorded.TryGetValue(key, out var recorded))
        {
            var original = http.Response.Body;
            using var capture = new MemoryStream();
            http.Response.Body = capture;
            try { await next(); }
            finally { http.Response.Body = original; }
            recorded = (http.Response.StatusCode, http.Response.ContentType, capture.ToArray());
            if (recorded.Status == 200) state.Recorded[key] = recorded;
            http.Response.ContentLength = recorded.Body.Length;
            await original.WriteAsync(recorded.Body);
            return;
        }

        http.Response.StatusCode = recorded.Status;
        http.Response.ContentType = recorded.ContentType;
        http.Response.ContentLength = recorded.Body.Length;
        await http.Response.Body.WriteAsync(recorded.Body);
    }

    private static async Task WriteBlobAsync(HttpContext http, long bytes)
    {
        var chunk = new byte[64 * 1024];
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = bytes;
        for (var left = bytes; left > 0; left -= chunk.Length)
            await http.Response.Body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)));
    }

    private static async Task DrainAsync(HttpContext http)
    {
        // The upstream's own Kestrel limit must not be what refuses a 100 MB upload.
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await http.Request.Body.ReadAsync(buffer)) > 0) total += read;
        await http.Response.WriteAsJsonAsync(new { bytes = total });
    }

    private static byte[] OneKbBody()
    {
        var filler = new string('x', 1024 - """{"id":"","items":[],"note":""}""".Length - 36);
        var json = $$"""{"id":"{{Guid.Empty}}","items":[],"note":"{{filler}}"}""";
        return System.Text.Encoding.UTF8.GetBytes(json);
    }
}
