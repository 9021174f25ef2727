using System.Diagnostics.Metrics;
using Ett.Gateway.Operations.Store;
using Ett.Gateway.Upstream;
using Polly.CircuitBreaker;

namespace Ett.Gateway.Observability;

/// <summary>
/// The gateway's own instruments, on a <see cref="Meter"/> named <see cref="GatewayTelemetry.Name"/> (every meter of that
/// name is exported). The README lists each with its Prometheus name. Counters start at 0 for their usual tags, so a
/// dashboard sees every series before the first event.
/// </summary>
public sealed class GatewayMetrics
{
    private static readonly TimeSpan StoreCountsLifetime = TimeSpan.FromSeconds(10);

    private readonly Histogram<double> ettRequestDuration;
    private readonly Counter<long> tokenRequests;
    private readonly Counter<long> rateLimitRejections;
    private readonly Counter<long> idempotency;
    private readonly Counter<long> reconcilerDecisions;
    private readonly IServiceProvider services;
    private readonly TimeProvider time;
    private readonly Lock storeGate = new();
    private (DateTimeOffset At, StoreStatusCounts Counts)? storeCounts;

    public GatewayMetrics(IMeterFactory meters, IServiceProvider services, TimeProvider time)
    {
        this.services = services;
        this.time = time;
        var meter = meters.Create(GatewayTelemetry.Name);
        ettRequestDuration = meter.CreateHistogram<double>("ett_gateway.ett.request.duration", "s",
            "ETT calls (typed client and passthrough): duration by api_group, method, status (HTTP status, or timeout/error) and client (typed|passthrough).");
        tokenRequests = meter.CreateCounter<long>("ett_gateway.ett.token.requests", "{request}",
            "ETT token requests by kind (initial|renewal) and outcome (success|failure).");
        rateLimitRejections = meter.CreateCounter<long>("ett_gateway.rate_limit.rejections", "{request}",
            "Requests answered 429 by the per-caller rate limit.");
        idempotency = meter.CreateCounter<long>("ett_gateway.idempotency.requests", "{request}",
            "Idempotency-Key outcomes other than a first run: replayed, in_flight (409) or key_reused (422).");
        reconcilerDecisions = meter.CreateCounter<long>("ett_gateway.reconciler.decisions", "{leg}",
            "The reconciler's decisions on unknown legs: resend, completed, failed or undecided.");
        meter.CreateObservableGauge("ett_gateway.ett.circuit.state", ObserveCircuits, "{state}",
            "ETT circuit breaker state per api_group: 0 closed, 1 half-open, 2 open (3 isolated).");
        meter.CreateObservableGauge("ett_gateway.operations", ObserveOperations, "{operation}",
            "Operations in the store by kind and status (read at most every 10 s).");
        meter.CreateObservableGauge("ett_gateway.operation.legs", ObserveLegs, "{leg}",
            "Operation legs in the store by status (read at most every 10 s).");

        foreach (var kind in new[] { "initial", "renewal" })
            foreach (var outcome in new[] { "success", "failure" })
                tokenRequests.Add(0, new("kind", kind), new("outcome", outcome));
        rateLimitRejections.Add(0, new KeyValuePair<string, object?>("limit", "caller"));
        foreach (var outcome in new[] { "replayed", "in_flight", "key_reused" }) idempotency.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        foreach (var decision in new[] { "resend", "completed", "failed", "undecided" }) reconcilerDecisions.Add(0, new KeyValuePair<string, object?>("decision", decision));
    }

    public void EttRequest(string apiGroup, string method, string status, string client, TimeSpan duration) =>
        ettRequestDuration.Record(duration.TotalSeconds,
            new("api_group", apiGroup), new("method", method), new("status", status), new("client", client));

    public void TokenRequest(bool renewal, bool succeeded) =>
        tokenRequests.Add(1, new("kind", renewal ? "renewal" : "initial"), new("outcome", succeeded ? "success" : "failure"));

    public void RateLimitRejected() => rateLimitRejections.Add(1, new KeyValuePair<string, object?>("limit", "caller"));

    public void Idempotency(string outcome) => idempotency.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void ReconcilerDecided(string decision) => reconcilerDecisions.Add(1, new KeyValuePair<string, object?>("decision", decision));

    private IEnumerable<Measurement<int>> ObserveCircuits()
    {
        var circuits = services.GetService<EttCircuits>()?.States ?? new Dictionary<string, CircuitState>();
        foreach (var group in ApiGroup.All)
        {
            var state = circuits.GetValueOrDefault(group.Name, CircuitState.Closed);
            yield return new Measurement<int>(state switch
            {
                CircuitState.Closed => 0,
                CircuitState.HalfOpen => 1,
                CircuitState.Open => 2,
                _ => 3,
            }, new KeyValuePair<string, object?>("api_group", group.Name));
        }
    }

    private IEnumerable<Measurement<long>> ObserveOperations() =>
        StoreCounts()?.Operations.Select(row => new Measurement<long>(row.Count, new("kind", row.Kind), new("status", row.Status))) ?? [];

    private IEnumerable<Measurement<long>> ObserveLegs() =>
        StoreCounts()?.Legs.Select(row => new Measurement<long>(row.Count, new KeyValuePair<string, object?>("status", row.Status))) ?? [];

    /// <summary>One store read serves both gauges for a while; a store that does not answer yields no measurement.</summary>
    private StoreStatusCounts? StoreCounts()
    {
        lock (storeGate)
        {
            var now = time.GetUtcNow();
            if (storeCounts is { } cached && now - cached.At < StoreCountsLifetime) return cached.Counts;
            if (services.GetService<SqlOperationsStore>() is not { } store) return null;
            try
            {
                // Observable callbacks are synchronous; the read is two grouped counts on indexed tables.
                var counts = store.CountByStatusAsync(CancellationToken.None).GetAwaiter().GetResult();
                storeCounts = (now, counts);
                return counts;
            }
            catch (Exception)
            {
                // Readiness reports the store; a scrape keeps the last counts.
                return storeCounts?.Counts;
            }
        }
    }
}
