using Ett.Gateway.Operations.Store;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Operations;

/// <summary>
/// Keeps operations moving without callers: polls ETT's request-status for submitted legs (bounded batch, least
/// recently checked first, so reading an operation never calls ETT), reconciles legs whose POST went unobserved,
/// sends legs left planned, and purges expired idempotency keys. Runs at start-up and every
/// <see cref="OperationsOptions.WorkerInterval"/> on the <see cref="TimeProvider"/>.
/// </summary>
internal sealed class OperationsWorker(
    IOperationStore journal, IIdempotencyStore keys, EttClient ett, OperationRunner runner, LegReconciler reconciler,
    TimeProvider time, IOptions<OperationsOptions> options, ILogger<OperationsWorker> logger) : BackgroundService
{
    private readonly SemaphoreSlim oneAtATime = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.WorkerInterval, time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(exception, "Operations worker iteration failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One iteration; tests call it directly instead of waiting for the clock.</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken = default)
    {
        await oneAtATime.WaitAsync(cancellationToken);
        try
        {
            var settings = options.Value;
            var now = time.GetUtcNow();
            // Every submitted leg is due once per iteration; the batch bounds ETT calls, least recently checked first.
            await PollAsync(now, settings.WorkerBatchSize, cancellationToken);
            foreach (var leg in await journal.ListLegsToReconcileAsync(now - settings.ReconcileAfter, settings.WorkerBatchSize, cancellationToken))
            {
                await Isolated(leg, async () =>
                {
                    if (await reconciler.ReconcileAsync(leg, cancellationToken))
                        await runner.SendAsync(leg.OrganizationId, leg.Kind, leg.Leg, cancellationToken);
                });
            }
            // A planned leg untouched for a lease is most likely abandoned (a live attempt renews before each leg); were
            // its attempt merely slow, RecordIntent still lets only one of them send it.
            foreach (var leg in await journal.ListLegsToResumeAsync(time.GetUtcNow() - settings.LeaseDuration, settings.WorkerBatchSize, cancellationToken))
            {
                await Isolated(leg, () => runner.SendAsync(leg.OrganizationId, leg.Kind, leg.Leg, cancellationToken));
            }
            await keys.PurgeExpiredAsync(cancellationToken);
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    private async Task PollAsync(DateTimeOffset checkedBefore, int batch, CancellationToken cancellationToken)
    {
        foreach (var leg in await journal.ListLegsToPollAsync(checkedBefore, batch, cancellationToken))
        {
            await Isolated(leg, async () =>
            {
                var status = await ett.GetRequestStatusAsync(leg.OrganizationId, leg.Leg.EttRequestId!.Value, cancellationToken);
                if (status.Is("completed"))
                    await journal.SetLegStatusAsync(leg.Leg.Id, LegStatus.Submitted, LegStatus.Completed, null, cancellationToken);
                // ETT stores the failure reason but never returns it (§8).
                else if (status.Is("failed"))
                    await journal.SetLegStatusAsync(leg.Leg.Id, LegStatus.Submitted, LegStatus.Failed, "ETT reported the request failed.", cancellationToken);
                else
                    await journal.RecordStillPendingAsync(leg.Leg.Id, cancellationToken);
            });
        }
    }

    /// <summary>One leg's failure (ETT down, a 404 for its request) must not stop the batch; it is tried next time.</summary>
    private async Task Isolated(JournalLeg leg, Func<Task> work)
    {
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
