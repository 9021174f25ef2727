using System.Net;
using Ett.Gateway.Operations;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.DependencyInjection;
using static Ett.Gateway.Tests.Operations.OperationsSandbox;

namespace Ett.Gateway.Tests.Operations;

/// <summary>Regressions of the operations engine against ETT's real behaviour (issue 9): never send twice, never over-commit.</summary>
public sealed class ExactlyOnceTests : IAsyncLifetime
{
    private static readonly string Transfers = $"/organizations/{Producer}/transfers";

    private OperationsSandbox env = null!;

    public async Task InitializeAsync() => env = await OperationsSandbox.StartAsync();

    public async Task DisposeAsync() => await env.DisposeAsync();

    [Fact]
    public async Task Two_parallel_transfers_for_all_available_quantity_get_one_202_and_one_422_and_the_second_sends_nothing()
    {
        // Both requests read ETT's certificates before either reserves: the check-then-act race, made certain.
        var bothRead = new ArrivalBarrier(2);
        env.StartGateway(services => services.AddHttpClient(EttRequest.HttpClientName).AddHttpMessageHandler(() => new CertificateReadGate(bothRead)));
        var caller = await env.CallerAsync();
        bothRead.Open = true;
        var all = env.AvailableProduction(Producer, "DK1").Sum(c => c.AvailableWh);
        var body = new { partnerOrganizationId = Trader, quantityWh = all, gridArea = "DK1" };

        var responses = await Task.WhenAll(Post(caller, body, "first"), Post(caller, body, "second"));

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.UnprocessableEntity], responses.Select(r => r.StatusCode).Order());
        var accepted = await JsonOf(responses.Single(r => r.StatusCode == HttpStatusCode.Accepted));
        Assert.Equal(accepted.GetProperty("legs").GetArrayLength(), env.EttPosts("transfers").Count);
        var refused = await JsonOf(responses.Single(r => r.StatusCode == HttpStatusCode.UnprocessableEntity));
        Assert.Equal(0, refused.GetProperty("availableWh").GetInt64());
    }

    [Fact]
    public async Task Leg_whose_request_status_is_404_reaches_a_final_state_within_the_bound()
    {
        // ETT accepted a request it no longer knows (its request-status answers 404): the request id is ETT's only trace.
        env.StartGateway(services => services.AddSingleton<IEttLegSender, UnknownToEttSender>());
        var caller = await env.CallerAsync();
        var response = await Post(caller, new { partnerOrganizationId = Trader, quantityWh = 1000 }, "forgotten");
        var operationId = (await JsonOf(response)).GetProperty("operationId").GetGuid();

        for (var iteration = 0; iteration < OperationsWorker.StatusFailuresBeforeReconcile; iteration++) await env.RunWorkerAsync();
        var afterPolls = await env.GetOperationAsync(caller, operationId);
        env.Time.Advance(TimeSpan.FromMinutes(6));
        await env.RunWorkerAsync();
        var statusCalls = env.Ett.Requests.Count(r => r.Path.Contains("/request-status/", StringComparison.Ordinal));
        await env.RunWorkerAsync();

        Assert.Equal("unknown", afterPolls.GetProperty("legs")[0].GetProperty("status").GetString());
        var operation = await env.GetOperationAsync(caller, operationId);
        Assert.Equal("failed", operation.GetProperty("status").GetString());
        Assert.Contains("lists none", operation.GetProperty("legs")[0].GetProperty("detail").GetString());
        Assert.Equal(OperationsWorker.StatusFailuresBeforeReconcile, statusCalls);
        Assert.Equal(statusCalls, env.Ett.Requests.Count(r => r.Path.Contains("/request-status/", StringComparison.Ordinal)));
        Assert.Empty(env.EttPosts("transfers"));
    }

    [Fact]
    public async Task Worker_completes_the_key_of_a_request_that_died_so_it_is_purged_after_retention()
    {
        var doomed = env.StartGateway(services => services.AddSingleton<Ett.Gateway.Operations.Store.IIdempotencyStore>(provider =>
            new CrashingKeys(provider.GetRequiredService<Ett.Gateway.Operations.Store.SqlOperationsStore>())));
        var died = await Post(await env.CallerAsync(doomed), new { partnerOrganizationId = Trader, quantityWh = 1000 }, "died");
        Assert.Equal(HttpStatusCode.InternalServerError, died.StatusCode);
        await env.StopAsync(doomed);
        env.StartGateway();
        await env.CallerAsync();

        // No caller ever retries: the worker alone completes the key once its lease ran out, and purges it after retention.
        env.Time.Advance(TimeSpan.FromMinutes(2));
        await env.SettleAsync();
        env.Time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        await env.RunWorkerAsync();
        var reused = await Post(await env.CallerAsync(), new { partnerOrganizationId = Trader, quantityWh = 2000 }, "died");

        Assert.Equal(HttpStatusCode.Accepted, reused.StatusCode);
        Assert.Equal(2, env.EttPosts("transfers").Count);
    }

    [Fact]
    public async Task Multi_slice_leg_whose_response_was_lost_is_decided_completed_with_zero_resends()
    {
        // ETT applied the transfer but its answer was lost; ETT lists it as two slices (ETT-SOURCE-REVIEW.md #2).
        env.StartGateway(services =>
        {
            services.AddSingleton<IEttLegSender>(provider => new AnswerLostSender(new EttLegSender(provider.GetRequiredService<EttClient>())));
            services.AddHttpClient(EttRequest.HttpClientName).AddHttpMessageHandler(() => new TransfersListedPerSlice());
        });
        var caller = await env.CallerAsync();
        var traderBefore = env.Ett.AvailableWh(Trader, Ett.Sandbox.SandboxCertificateType.Production);
        var response = await Post(caller, new { partnerOrganizationId = Trader, quantityWh = 1000 }, "lost-answer");
        var operationId = (await JsonOf(response)).GetProperty("operationId").GetGuid();
        Assert.Equal("unknown", (await JsonOf(response)).GetProperty("legs")[0].GetProperty("status").GetString());

        env.Time.Advance(TimeSpan.FromMinutes(6));
        await env.SettleAsync();
        await env.SettleAsync();

        var operation = await env.GetOperationAsync(caller, operationId);
        Assert.Equal("completed", operation.GetProperty("status").GetString());
        Assert.Single(env.EttPosts("transfers"));
        Assert.Equal(traderBefore + 1000, env.Ett.AvailableWh(Trader, Ett.Sandbox.SandboxCertificateType.Production));
    }

    private static Task<HttpResponseMessage> Post(HttpClient caller, object body, string key) => caller.SendAsync(OperationsSandbox.Post(Transfers, body, key));

    /// <summary>Holds each certificate list read until as many have arrived (bounded, so a broken test fails instead of hanging).</summary>
    private sealed class CertificateReadGate(ArrivalBarrier barrier) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.EndsWith("/wallet-api/certificates", StringComparison.Ordinal))
                await barrier.ArriveAsync();
            return await base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class ArrivalBarrier(int count)
    {
        private readonly TaskCompletionSource all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int arrived;

        /// <summary>Until set, arrivals pass straight through (the gateway's own start-up reads).</summary>
        public volatile bool Open;

        public Task ArriveAsync()
        {
            if (!Open) return Task.CompletedTask;
            if (Interlocked.Increment(ref arrived) >= count) all.TrySetResult();
            return all.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>"Applied, then the response is lost": ETT does the work, the gateway never hears.</summary>
    private sealed class AnswerLostSender(IEttLegSender real) : IEttLegSender
    {
        public async Task<Guid> PostAsync(Guid organizationId, Ett.Gateway.Operations.Store.OperationKind kind, Ett.Gateway.Operations.Store.PlannedLeg leg, CancellationToken cancellationToken)
        {
            await real.PostAsync(organizationId, kind, leg, cancellationToken);
            throw new TaskCanceledException("The response was lost.");
        }
    }

    /// <summary>ETT's transfer list as the wallet gives it for a certificate held in two slices: each row split in two.</summary>
    private sealed class TransfersListedPerSlice : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method != HttpMethod.Get || !request.RequestUri!.AbsolutePath.EndsWith("/wallet-api/transfers", StringComparison.Ordinal)) return response;
            var page = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!;
            var rows = page["result"]!.AsArray();
            var slices = new System.Text.Json.Nodes.JsonArray();
            foreach (var row in rows)
            {
                var quantity = row!["quantity"]!.GetValue<long>();
                foreach (var part in new[] { quantity / 2, quantity - quantity / 2 })
                {
                    var slice = row.DeepClone();
                    slice["quantity"] = part;
                    slices.Add(slice);
                }
            }
            page["result"] = slices;
            if (page["metadata"] is { } metadata)
            {
                metadata["count"] = slices.Count;
                metadata["total"] = metadata["total"]!.GetValue<int>() * 2;
            }
            response.Content = new StringContent(page.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
            return response;
        }
    }

    /// <summary>"ETT accepted" with a request id ETT never issued, and nothing moved.</summary>
    private sealed class UnknownToEttSender : IEttLegSender
    {
        public Task<Guid> PostAsync(Guid organizationId, Ett.Gateway.Operations.Store.OperationKind kind, Ett.Gateway.Operations.Store.PlannedLeg leg, CancellationToken cancellationToken) =>
            Task.FromResult(Guid.NewGuid());
    }
}
