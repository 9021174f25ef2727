using Ett.Gateway.Errors;
using Ett.Gateway.Observability;
using Ett.Gateway.Operations.Store;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Operations;

/// <summary>
/// Keeps operations moving without callers: polls ETT's request-status for submitted legs (bounded batch, least
/// recently checked first, so reading an operation never calls ETT), reconciles legs whose outcome went unobserved,
/// sends legs no live attempt works on, completes the keys of requests that died, and purges expired keys. Each
/// iteration claims the legs it works on, so instances sharing a store divide the work instead of repeating it.
/// Runs at start-up and every <see cref="OperationsOptions.WorkerInterval"/> on the <see cref="TimeProvider"/>, and at
/// once again while it makes progress that lets more work be done: its polls filled the batch and finished legs, or it
/// finished legs and sent legs that waited for them (ETT takes one request per certificate at a time, so a queue of
/// transfers from one certificate moves one leg per iteration), so that it keeps up with what requests submit.
/// </summary>
internal sealed class OperationsWorker(
    IOperationStore journal, IIdempotencyStore keys, IdempotentRequests requests, EttClient ett, OperationRunner runner, LegReconciler reconciler,
    TimeProvider time, IOptions<OperationsOptions> options, ILogger<OperationsWorker> logger) : BackgroundService
{
    /// <summary>Permanent request-status refusals (e.g. 404) a leg gets before ETT's lists decide it instead.</summary>
    internal const int StatusFailuresBeforeReconcile = 5;

    private readonly SemaphoreSlim oneAtATime = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.WorkerInterval, time);
        do
        {
            bool more;
            do
            {
                try
                {
                    more = await RunOnceAsync(stoppingToken);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(exception, "Operations worker iteration failed");
                    more = false;
                }
            }
            while (more);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>
    /// One iteration; tests call it directly instead of waiting for the clock. True when more legs are due at once: the
    /// polls filled the batch and finished some, or finished some and legs waiting behind them were sent. Legs ETT still
    /// works on (or cannot answer for) wait for the next tick, so a slow ETT is not polled in a loop: every iteration
    /// that asks for another finished at least one leg.
    /// </summary>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        await oneAtATime.WaitAsync(cancellationToken);
        try
        {
            var settings = options.Value;
            var now = time.GetUtcNow();
            // Should this instance die mid-iteration, its claim lapses after a lease and another instance carries on.
            var claim = new WorkerClaim(Guid.NewGuid(), now + settings.LeaseDuration);
            bool more;
            try
            {
                // Every submitted leg is due once per iteration; the batch bounds ETT calls, least recently checked first.
                var (full, finished) = await PollAsync(now, settings.WorkerBatchSize, claim, cancellationToken);
                foreach (var leg in await journal.ListLegsToReconcileAsync(now - settings.ReconcileAfter, settings.WorkerBatchSize, claim, cancellationToken))
                {
                    await Isolated("reconcile", leg, async () =>
                    {
                        if (await reconciler.ReconcileAsync(leg, cancellationToken))
                            await runner.SendAsync(leg.OrganizationId, leg.Kind, leg.Leg, cancellationToken);
                    });
                }
                // RecordIntent still lets only one actor send a leg, should a slow attempt wake up meanwhile.
                var resumed = await journal.ListLegsToResumeAsync(settings.WorkerBatchSize, claim, cancellationToken);
                foreach (var leg in resumed)
                {
                    await Isolated("resume", leg, () => runner.SendAsync(leg.OrganizationId, leg.Kind, leg.Leg, cancellationToken));
                }
                more = finished > 0 && (full || resumed.Count > 0);
            }
            finally
            {
                await journal.ReleaseAsync(claim, CancellationToken.None);
            }
            await requests.CompleteAbandonedAsync(settings.WorkerBatchSize, cancellationToken);
            await keys.PurgeExpiredAsync(cancellationToken);
            return more;
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    /// <summary>Polls a batch of submitted legs: whether the batch was full (more may be due), and how many it finished.</summary>
    private async Task<(bool Full, int Finished)> PollAsync(DateTimeOffset checkedBefore, int batch, WorkerClaim claim, CancellationToken cancellationToken)
    {
        var legs = await journal.ListLegsToPollAsync(checkedBefore, batch, claim, cancellationToken);
        var finished = 0;
        foreach (var leg in legs)
        {
            await Isolated("poll", leg, async () =>
            {
                EttRequestStatus status;
                try
                {
                    status = await ett.GetRequestStatusAsync(leg.OrganizationId, leg.Leg.EttRequestId!.Value, cancellationToken);
                }
                catch (GatewayProblemException refused) when (IsPermanent(refused))
                {
                    var failures = await journal.RecordStatusFailureAsync(leg.Leg.Id, cancellationToken);
                    if (failures >= StatusFailuresBeforeReconcile)
                        await journal.SetLegStatusAsync(leg.Leg.Id, LegStatus.Submitted, LegStatus.Unknown,
                            $"ETT refused its request-status {failures} times (status {refused.Extensions["upstreamStatus"]}); ETT's lists decide.", cancellationToken);
                    return;
                }
                if (status.Is("completed"))
                {
                    await journal.SetLegStatusAsync(leg.Leg.Id, LegStatus.Submitted, LegStatus.Completed, null, cancellationToken);
                    finished++;
                }
                // ETT stores the failure reason but never returns it (§8).
                else if (status.Is("failed"))
                {
                    await journal.SetLegStatusAsync(leg.Leg.Id, LegStatus.Submitted, LegStatus.Failed, "ETT reported the request failed.", cancellationToken);
                    finished++;
                }
                else
                {
                    await journal.RecordStillPendingAsync(leg.Leg.Id, cancellationToken);
                }
            });
        }
        return (legs.Count == batch, finished);
    }

    /// <summary>ETT will not answer otherwise however often it is asked: a 4xx other than authorization, timeout and rate limit.</summary>
    private static bool IsPermanent(GatewayProblemException problem) =>
        problem.Extensions.TryGetValue("upstreamStatus", out var value) && value is int status
        && status is >= 400 and < 500 and not (401 or 403 or 408 or 429);

    /// <summary>
    /// One leg's failure (ETT down, a timeout) must not stop the batch; it is tried next time. Each step is a span of its
    /// own, under the operation's correlation id, so its ETT calls and log lines join the request that started it.
    /// </summary>
    private async Task Isolated(string step, JournalLeg leg, Func<Task> work)
    {
        using var activity = GatewayTelemetry.Source.StartActivity($"operations.worker {step}");
        activity?.SetTag("ett_gateway.operation.id", leg.Leg.OperationId.ToString("D"));
        activity?.SetTag("ett_gateway.leg.id", leg.Leg.Id.ToString("D"));
        using var correlation = leg.CorrelationId is { } id ? Correlation.Begin(id, logger) : null;
        try
        {
            await work();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || exception is TaskCanceledException { CancellationToken.IsCancellationRequested: false })
        {
            logger.LogWarning("Operations worker skipped leg {LegId} this time ({Error})", leg.Leg.Id, exception.GetType().Name);
            if (leg.Leg.Status == LegStatus.Submitted) await journal.RecordStillPendingAsync(leg.Leg.Id, CancellationToken.None);
        }
    }
}
