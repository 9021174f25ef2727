using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Ett.Gateway.Observability;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Gateway.Tests.Operations;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.DependencyInjection;
using static Ett.Gateway.Tests.Operations.OperationsSandbox;

namespace Ett.Gateway.Tests.Observability;

/// <summary>A transfer against the sandbox: its correlation id in the 202, the operation, the audit trail, the log lines and ETT's calls.</summary>
public sealed class TransferObservabilityTests : IAsyncLifetime
{
    private OperationsSandbox env = null!;

    public async Task InitializeAsync() => env = await OperationsSandbox.StartAsync();

    public async Task DisposeAsync() => await env.DisposeAsync();

    [Fact]
    public async Task A_transfers_correlation_id_is_in_its_response_operation_log_lines_and_every_ett_call_the_worker_makes_too()
    {
        var sent = new ConcurrentQueue<(string Path, string? Id)>();
        var gateway = env.StartGateway(services => services.AddHttpClient(EttRequest.HttpClientName)
            .AddHttpMessageHandler(() => new HeaderRecorder(sent)));
        var caller = await env.CallerAsync();
        sent.Clear();
        using var request = Post($"/organizations/{Producer}/transfers", new { partnerOrganizationId = Trader, quantityWh = 1000 }, "correlated");
        request.Headers.Add(Correlation.HeaderName, "transfer-4711");

        var response = await caller.SendAsync(request);
        var operationId = (await JsonOf(response)).GetProperty("operationId").GetGuid();
        await env.SettleAsync();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(["transfer-4711"], response.Headers.GetValues(Correlation.HeaderName));
        Assert.Equal("transfer-4711", (await JsonOf(response)).GetProperty("correlationId").GetString());
        var operation = await env.GetOperationAsync(caller, operationId);
        Assert.Equal("transfer-4711", operation.GetProperty("correlationId").GetString());
        // The request's calls (partner wallet, certificates, the POST) and the worker's request-status poll.
        Assert.Contains(sent, call => call.Path.EndsWith("/wallet-api/transfers", StringComparison.Ordinal));
        Assert.Contains(sent, call => call.Path.Contains("/request-status/", StringComparison.Ordinal));
        Assert.All(sent, call => Assert.Equal("transfer-4711", call.Id));
        // Everything logged inside the pipeline and by the ETT client; the host's own "Request starting/finished"
        // lines come before the first middleware and carry the trace id instead.
        var requestLines = gateway.Logs.GetSnapshot().Where(r => r.Category?.StartsWith("Ett.Gateway", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(requestLines);
        Assert.All(requestLines, line => Assert.Contains("transfer-4711", CorrelationTests.CorrelationIdsOf(line)));
        var ettLines = gateway.Logs.GetSnapshot().Where(r => r.Category?.StartsWith("System.Net.Http.HttpClient." + EttRequest.HttpClientName, StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(ettLines);
        Assert.All(ettLines, line => Assert.Contains("transfer-4711", CorrelationTests.CorrelationIdsOf(line)));
    }

    [Fact]
    public async Task A_transfer_flow_is_traced_under_its_correlation_id_and_its_logs_hold_no_secret_or_token()
    {
        var spans = new ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name is "System.Net.Http" or "Microsoft.AspNetCore" or GatewayTelemetry.Name,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var sent = new ConcurrentQueue<(string Path, string? Id)>();
        var ettTokens = new ConcurrentQueue<string>();
        env.StartGateway(services => services.AddHttpClient(EttRequest.HttpClientName)
            .AddHttpMessageHandler(() => new HeaderRecorder(sent, ettTokens)));
        var callerToken = await env.Sandbox.GetCallerTokenAsync();
        var caller = env.Gateway.CreateCaller(callerToken);
        await env.RunWorkerAsync();
        var id = $"traced-{Guid.NewGuid():N}";
        using var request = Post($"/organizations/{Producer}/transfers", new { partnerOrganizationId = Trader, quantityWh = 1000 }, "traced");
        request.Headers.Add(Correlation.HeaderName, id);

        var response = await caller.SendAsync(request);
        await env.SettleAsync();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var mine = spans.Where(span => span.GetBaggageItem(Correlation.TraceTag) == id).ToList();
        var inbound = Assert.Single(mine, span => span.Source.Name == "Microsoft.AspNetCore" && span.GetTagItem(Correlation.TraceTag) as string == id);
        var ettCalls = mine.Where(span => span.Source.Name == "System.Net.Http").ToList();
        // The request's own ETT calls are children in its trace; the worker's poll is a span of its own with the id.
        Assert.True(ettCalls.Any(span => span.TraceId == inbound.TraceId && span.GetTagItem("url.full") is string url && url.Split('?')[0].EndsWith("/wallet-api/transfers", StringComparison.Ordinal)),
            string.Join('\n', mine.Select(span => $"{span.Source.Name} {span.OperationName} {span.TraceId} {span.SpanId} {span.ParentSpanId} {span.GetTagItem("url.full")}")) + $"\ninbound {inbound.TraceId}");
        var poll = Assert.Single(mine, span => span.Source.Name == GatewayTelemetry.Name && span.OperationName == "operations.worker poll");
        Assert.Contains(ettCalls, span => span.ParentSpanId == poll.SpanId);
        // Every ETT call of the typed client (the caller token's key reads and the ETT token request are spans too).
        Assert.Equal(sent.Count, ettCalls.Count(span => span.GetTagItem("url.full") is string url && url.Contains("/sandbox/ett/", StringComparison.Ordinal)));

        var logs = env.Gateway.AllLogText() + CorrelationTests.ScopeText(env.Gateway.Logs);
        Assert.NotEmpty(ettTokens);
        foreach (var secret in ettTokens.Distinct().Append(callerToken).Append(Ett.Sandbox.SandboxSeed.EttClientSecret).Append(Ett.Sandbox.SandboxSeed.CallerClientSecret))
            Assert.DoesNotContain(secret, logs);
    }

    [Fact]
    public async Task Metrics_endpoint_shows_every_named_metric_after_one_request()
    {
        env.StartGateway();
        var caller = await env.CallerAsync();

        Assert.Equal(HttpStatusCode.Accepted, (await caller.SendAsync(Post($"/organizations/{Producer}/transfers", new { partnerOrganizationId = Trader, quantityWh = 1000 }, "metered"))).StatusCode);
        var scrape = await env.Gateway.CreateClient().GetAsync("/metrics");
        var text = await scrape.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        foreach (var metric in MetricNames)
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(text, $"(?m)^{metric}(_bucket|_count|_sum)?\\{{"), $"{metric} missing from:\n{text}");
        Assert.Matches("(?m)^ett_gateway_ett_request_duration_seconds_count\\{[^}]*api_group=\"Wallet\"[^}]*method=\"POST\"[^}]*status=\"202\"", text);
        // OpenTelemetry listens to every meter of that name in the process, so gateways of tests running alongside count too.
        Assert.Matches("(?m)^ett_gateway_ett_token_requests_total\\{[^}]*kind=\"initial\"[^}]*outcome=\"success\"[^}]*\\} [1-9]", text);
        Assert.Matches("(?m)^ett_gateway_operations\\{[^}]*kind=\"transfer\"", text);
    }

    /// <summary>Every metric the README names, as Prometheus spells it.</summary>
    internal static readonly string[] MetricNames =
    [
        "ett_gateway_ett_request_duration_seconds",
        "ett_gateway_ett_token_requests_total",
        "ett_gateway_ett_circuit_state",
        "ett_gateway_rate_limit_rejections_total",
        "ett_gateway_idempotency_requests_total",
        "ett_gateway_operations",
        "ett_gateway_operation_legs",
        "ett_gateway_reconciler_decisions_total",
    ];

    private HttpClient Admin() => env.Gateway.CreateCaller(env.Sandbox.IssueCallerToken(new Dictionary<string, object>
    {
        ["sub"] = "auditor", ["client_id"] = "auditor", ["roles"] = new[] { "Ett.Admin" },
    }));

    private async Task<JsonElement[]> AuditAsync(string query = "")
    {
        var response = await Admin().GetAsync("/admin/audit" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await JsonOf(response)).GetProperty("items").EnumerateArray()];
    }

    [Fact]
    public async Task Each_state_changing_call_leaves_one_audit_record_with_its_outcome_and_the_trail_holds_no_token()
    {
        env.StartGateway();
        var callerToken = await env.Sandbox.GetCallerTokenAsync();
        var caller = env.Gateway.CreateCaller(callerToken);
        await env.RunWorkerAsync();
        var body = new { partnerOrganizationId = Trader, quantityWh = 1000 };
        var limited = env.Gateway.CreateCaller(env.Sandbox.IssueCallerToken(new Dictionary<string, object>
        {
            ["sub"] = "reader-app", ["client_id"] = "reader-app", ["roles"] = new[] { "Ett.Read" },
        }));

        var accepted = await caller.SendAsync(WithId(Post($"/organizations/{Producer}/transfers", body, "audited"), "first"));
        env.Time.Advance(TimeSpan.FromMilliseconds(1));
        var replayed = await caller.SendAsync(WithId(Post($"/organizations/{Producer}/transfers", body, "audited"), "second"));
        env.Time.Advance(TimeSpan.FromMilliseconds(1));
        var tooMuch = await caller.SendAsync(WithId(Post($"/organizations/{Producer}/transfers", new { partnerOrganizationId = Trader, quantityWh = long.MaxValue / 2 }, "greedy"), "third"));
        env.Time.Advance(TimeSpan.FromMilliseconds(1));
        var forbidden = await limited.SendAsync(WithId(Post($"/organizations/{Producer}/transfers", body, "not-allowed"), "fourth"));
        await caller.GetAsync($"/organizations/{Producer}/wallet");

        var operationId = (await JsonOf(accepted)).GetProperty("operationId").GetGuid();
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.UnprocessableEntity, HttpStatusCode.Forbidden],
            new[] { accepted, replayed, tooMuch, forbidden }.Select(r => r.StatusCode));
        var trail = await AuditAsync();
        Assert.Equal(["fourth", "third", "second", "first"], trail.Select(r => r.GetProperty("correlationId").GetString()));
        Assert.Equal(["refused", "refused", "replayed", "succeeded"], trail.Select(r => r.GetProperty("outcome").GetString()));
        Assert.Equal(["reader-app", "sandbox-app", "sandbox-app", "sandbox-app"], trail.Select(r => r.GetProperty("callerId").GetString()));
        Assert.All(trail, r => Assert.Equal("TransferToPartner", r.GetProperty("action").GetString()));
        Assert.All(trail, r => Assert.Equal(Producer, r.GetProperty("organizationId").GetGuid()));
        var first = trail[^1];
        Assert.Equal(operationId, first.GetProperty("operationId").GetGuid());
        Assert.Equal(operationId, trail[^2].GetProperty("operationId").GetGuid());
        Assert.Equal(1000, first.GetProperty("quantityWh").GetInt64());
        var moved = env.EttPosts("transfers").Select(p => JsonDocument.Parse(p.Body!).RootElement.GetProperty("certificateId"))
            .Select(id => $"{id.GetProperty("registry").GetString()}/{id.GetProperty("streamId").GetGuid()}");
        Assert.Equal(moved, first.GetProperty("certificates").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(["first"], await AuditCorrelations($"?callerId=SANDBOX-APP&organizationId={Producer}&limit=1&cursor={await CursorAfter(3)}"));
        Assert.Empty(await AuditAsync($"?organizationId={Trader}"));
        Assert.Equal(2, (await AuditAsync("?action=TransferToPartner&limit=2")).Length);

        // The audit log event names the same call; nothing in the trail or the logs is a token.
        var events = env.Gateway.Logs.GetSnapshot().Where(r => r.Id.Name == "Audit").ToList();
        Assert.Equal(4, events.Count);
        Assert.Contains(events, e => e.Message.Contains(operationId.ToString(), StringComparison.Ordinal) && e.Message.Contains("succeeded", StringComparison.Ordinal));
        var everything = string.Join('\n', trail.Select(r => r.GetRawText())) + env.Gateway.AllLogText();
        Assert.DoesNotContain(callerToken, everything);
        Assert.DoesNotContain(await env.Sandbox.GetEttTokenAsync(), everything);
        Assert.DoesNotContain("Bearer", string.Join('\n', trail.Select(r => r.GetRawText())));
    }

    [Fact]
    public async Task Audit_endpoint_is_for_admins_only_and_refuses_malformed_filters()
    {
        env.StartGateway();
        var caller = await env.CallerAsync();

        Assert.Equal(HttpStatusCode.Forbidden, (await caller.GetAsync("/admin/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await env.Gateway.CreateClient().GetAsync("/admin/audit")).StatusCode);
        foreach (var query in new[] { "?limit=0", "?limit=501", "?cursor=nonsense", "?cursor=YTE6eDp5", "?organizationId=not-a-guid", "?from=yesterday" })
        {
            var response = await Admin().GetAsync("/admin/audit" + query);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    private async Task<string[]> AuditCorrelations(string query) => [.. (await AuditAsync(query)).Select(r => r.GetProperty("correlationId").GetString()!)];

    private async Task<string> CursorAfter(int records)
    {
        var page = await JsonOf(await Admin().GetAsync($"/admin/audit?limit={records}"));
        return page.GetProperty("nextCursor").GetString()!;
    }

    private static HttpRequestMessage WithId(HttpRequestMessage request, string correlationId)
    {
        request.Headers.Add(Correlation.HeaderName, correlationId);
        return request;
    }

    private sealed class HeaderRecorder(ConcurrentQueue<(string, string?)> sent, ConcurrentQueue<string>? tokens = null) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Headers.Authorization?.Parameter is { } token) tokens?.Enqueue(token);
            sent.Enqueue((request.RequestUri!.AbsolutePath,
                request.Headers.TryGetValues(Correlation.HeaderName, out var values) ? string.Join(",", values) : null));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
