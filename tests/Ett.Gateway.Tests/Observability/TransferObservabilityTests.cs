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
        var replayed = await caller.SendAsync(WithId(Post($"/organizations/{Producer}/transfers", body, "audited"), "second"));
        var tooMuch = await caller.SendAsync(WithId(Post($"/organizations/{Producer}/transfers", new { partnerOrganizationId = Trader, quantityWh = long.MaxValue / 2 }, "greedy"), "third"));
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

    private sealed class HeaderRecorder(ConcurrentQueue<(string, string?)> sent) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            sent.Enqueue((request.RequestUri!.AbsolutePath,
                request.Headers.TryGetValues(Correlation.HeaderName, out var values) ? string.Join(",", values) : null));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
