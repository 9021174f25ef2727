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
/// Runs at start-up and every <see cref="OperationsOptions.WorkerInterval"/> on the <see cref="TimeProvider"/> (sooner
/// while ETT still works on legs it polled, <see cref="NextFollowUp"/>), and at once again while it makes progress
/// that lets more work be done: its polls filled the batch and finished legs, or it
/// sent legs that waited (ETT takes one request per certificate at a time, so a queue of transfers from one
/// certificate moves one leg per iteration), so that it keeps up with what requests submit.
/// Polls and sends run <see cref="OperationsOptions.WorkerConcurrency"/> at a time, each certificate's oldest waiting
/// leg only; reconciliation, which reads ETT's lists, runs one leg at a time.
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
        var interval = options.Value.WorkerInterval;
        TimeSpan? followUp = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            Iteration done;
            try
            {
                done = await IterateAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Operations worker iteration failed");
                done = new Iteration(More: false, Pending: false, Finished: false);
            }
            if (done.More) continue;
            followUp = NextFollowUp(followUp, done, interval);
            try
            {
                await Task.Delay(followUp ?? interval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// What an iteration found: more legs due at once; legs ETT answered for but has not finished; legs it finished.
    /// </summary>
    internal readonly record struct Iteration(bool More, bool Pending, bool Finished);

    /// <summary>
    /// The adaptive part of the interval: after an iteration that left legs ETT still works on, the next comes an
    /// eighth of the interval later — again and again while ETT keeps finishing legs — and twice as late each time
    /// nothing finished, up to the interval. With nothing pending (or ETT not answering at all) the worker waits the
    /// whole interval, so an idle or failing ETT is not polled more often than configured, and a completed request is
    /// seen within a fraction of the interval.
    /// </summary>
    internal static TimeSpan? NextFollowUp(TimeSpan? previous, Iteration done, TimeSpan interval) =>
        !done.Pending ? null
        : previous is { } last && !done.Finished ? (last * 2 < interval ? last * 2 : interval)
        : interval / 8;

    /// <summary>
    /// One iteration; tests call it directly instead of waiting for the clock. True when more legs are due at once: the
    /// polls filled the batch and finished some, or legs that waited (behind another leg of their certificate, mostly)
    /// went out to ETT, whose next leg may be due as soon as ETT completes them. Legs ETT still works on (or cannot
    /// answer for) wait for the next tick, so a slow ETT is not polled in a loop, and neither is a steady trickle of
    /// completions: every iteration that asks for another sent a leg or filled its batch.
    /// </summary>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken = default) => (await IterateAsync(cancellationToken)).More;

    internal async Task<Iteration> IterateAsync(CancellationToken cancellationToken = default)
    {
        await oneAtATime.WaitAsync(cancellationToken);
        try
        {
            var settings = options.Value;
            var now = time.GetUtcNow();
            // Should this instance die mid-iteration, its claim lapses after a lease and another instance carries on.
            var claim = new WorkerClaim(Guid.NewGuid(), now + settings.LeaseDuration);
            Iteration done;
            try
            {
                // Every submitted leg is due once per iteration; the batch bounds ETT calls, least recently checked first.
                var (full, finished, pending) = await PollAsync(now, settings, claim, cancellationToken);
                foreach (var leg in await journal.ListLegsToReconcileAsync(now - settings.ReconcileAfter, settings.WorkerBatchSize, claim, cancellationToken))
                {
                    await Isolated("reconcile", leg, async () =>
                    {
                        if (await reconciler.ReconcileAsync(leg, cancellationToken))
                            await runner.SendAsync(leg.OrganizationId, leg.Kind, leg.Leg, cancellationToken);
                    });
                }
                // ETT takes one request per certificate at a time (RecordIntentAsync holds the others back), so each
                // certificate's oldest waiting leg is sent and the rest wait for it. RecordIntent still lets only one
                // actor send a leg, should a slow attempt wake up meanwhile.
                var resumed = await journal.ListLegsToResumeAsync(settings.WorkerBatchSize, claim, cancellationToken);
                var nextOfEachCertificate = resumed.GroupBy(leg => (leg.OrganizationId, leg.Leg.ProductionCertificate)).Select(legs => legs.First());
                var sent = 0;
                await Parallel.ForEachAsync(nextOfEachCertificate, Concurrently(settings, cancellationToken), async (leg, _) =>
                    await Isolated("resume", leg, async () =>
                    {
                        if (await runner.SendAsync(leg.OrganizationId, leg.Kind, leg.Leg, cancellationToken)) Interlocked.Increment(ref sent);
                    }));
                done = new Iteration(More: (full && finished > 0) || sent > 0, Pending: pending > 0, Finished: finished > 0);
            }
            finally
            {
                await journal.ReleaseAsync(claim, CancellationToken.None);
            }
            await requests.CompleteAbandonedAsync(settings.WorkerBatchSize, cancellationToken);
            await keys.PurgeExpiredAsync(cancellationToken);
            return done;
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    /// <summary>
    /// Polls a batch of submitted legs: whether the batch was full (more may be due), how many it finished, and how many
    /// ETT said it still works on.
    /// </summary>
    private async Task<(bool Full, int Finished, int Pending)> PollAsync(DateTimeOffset checkedBefore, OperationsOptions settings, WorkerClaim claim, CancellationToken cancellationToken)
    {
        var legs = await journal.ListLegsToPollAsync(checkedBefore, settings.WorkerBatchSize, claim, cancellationToken);
        var (finished, pending) = (0, 0);
        await Parallel.ForEachAsync(legs, Concurrently(settings, cancellationToken), async (leg, _) =>
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
                    Interlocked.Increment(ref finished);
                }
                // ETT stores the failure reason but never returns it (§8).
                else if (status.Is("failed"))
                {
                    await journal.SetLegStatusAsync(leg.Leg.Id, LegStatus.Submitted, LegStatus.Failed, "ETT reported the request failed.", cancellationToken);
                    Interlocked.Increment(ref finished);
                }
                else
                {
                    await journal.RecordStillPendingAsync(leg.Leg.Id, cancellationToken);
                    Interlocked.Increment(ref pending);
                }
            });
        });
        return (legs.Count == settings.WorkerBatchSize, finished, pending);
    }

    private static ParallelOptions Concurrently(OperationsOptions settings, CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = settings.WorkerConcurrency, CancellationToken = cancellationToken };

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
