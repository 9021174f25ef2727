using Ett.Gateway.Errors;
using Ett.Gateway.Operations.Store;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.RateLimiting;

namespace Ett.Gateway.Operations;

/// <summary>
/// Executes an operation's legs in order with the journal's discipline: intent recorded before each ETT POST (and the
/// POST sent only if that succeeded), ETT's request id recorded after. A POST whose outcome was not observed makes the
/// leg unknown; it is never re-sent blindly, the reconciler decides from ETT's state.
/// </summary>
internal sealed class OperationRunner(
    IOperationStore journal, IIdempotencyStore keys, IEttLegSender ett, IOptions<OperationsOptions> options, TimeProvider time, ILogger<OperationRunner> logger)
{
    /// <summary>
    /// Reserves under the organization's lock (<paramref name="plan"/> sees what open legs still take), creates the
    /// operation under the attempt's key and sends its legs. The plan's ETT reads happened before, outside the lock;
    /// <paramref name="ettReadAt"/> is when the first of them began, if that was before the attempt (a joined read).
    /// </summary>
    public async Task<Reservation> StartAsync(
        Guid organizationId, Func<ReservedCertificates, NewOperation?> plan, IdempotentAttempt attempt, DateTimeOffset? ettReadAt = null)
    {
        var readAt = ettReadAt < attempt.BegunAt ? ettReadAt.Value : attempt.BegunAt;
        var reservation = await journal.ReserveAsync(organizationId, attempt.Lease, readAt, plan, CancellationToken.None);
        if (reservation is not Reservation.Created created) return reservation;
        attempt.OperationCreated();
        return new Reservation.Created(await RunAsync(created.Operation, attempt));
    }

    /// <summary>
    /// Continues an operation an earlier attempt with the same key left unfinished: planned legs are sent; a leg
    /// found with its intent recorded may or may not have reached ETT, so it becomes unknown for the reconciler.
    /// </summary>
    public async Task<OperationRecord> ResumeAsync(Guid operationId, IdempotentAttempt attempt)
    {
        var operation = await journal.GetOperationAsync(operationId, CancellationToken.None)
            ?? throw new InvalidOperationException($"Operation {operationId} is attached to a key but missing from the journal.");
        return await RunAsync(operation, attempt);
    }

    // The caller's cancellation is deliberately not used: once legs start, a caller hanging up must not cut one half-way.
    private async Task<OperationRecord> RunAsync(OperationRecord operation, IdempotentAttempt attempt)
    {
        foreach (var leg in operation.Legs)
        {
            if (leg.Status == LegStatus.IntentRecorded)
            {
                await journal.MarkUnknownAsync(leg.Id, CancellationToken.None);
                continue;
            }
            if (leg.Status != LegStatus.Planned) continue;
            // A lost lease means another attempt took the key over; it continues from the journal. A lease with more
            // than two thirds of its lifetime left cannot have been taken over, so it is renewed only after that (the
            // lease keeper renews it every third meanwhile). Either way only RecordIntentAsync lets a leg go to ETT.
            var lifetime = options.Value.LeaseDuration;
            if (attempt.LeaseExpiresAt - time.GetUtcNow() < lifetime * 2 / 3 && !await attempt.RenewLeaseAsync(keys, lifetime, time)) break;
            await SendAsync(operation.OrganizationId, operation.Kind, leg, CancellationToken.None);
        }
        return (await journal.GetOperationAsync(operation.Id, CancellationToken.None))!;
    }

    /// <summary>
    /// Sends one planned leg; does nothing if another actor recorded its intent first or another leg of its
    /// certificate is in flight. True when the POST went out to ETT, whatever ETT answered.
    /// </summary>
    public async Task<bool> SendAsync(Guid organizationId, OperationKind kind, OperationLeg leg, CancellationToken cancellationToken)
    {
        if (!await journal.RecordIntentAsync(leg.Id, cancellationToken)) return false;

        Guid requestId;
        try
        {
            requestId = await ett.PostAsync(organizationId, kind, leg, cancellationToken);
        }
        catch (GatewayProblemException rejected) when (rejected.Status < StatusCodes.Status500InternalServerError)
        {
            // A 4xx is ETT refusing synchronously (e.g. quantity no longer available): nothing was reserved.
            logger.LogWarning("ETT rejected leg {LegId} of operation {OperationId} with {Status}", leg.Id, leg.OperationId, rejected.Status);
            await journal.SetLegStatusAsync(leg.Id, LegStatus.IntentRecorded, LegStatus.Failed,
                rejected.Detail is { } detail ? $"ETT rejected the request: {detail}" : "ETT rejected the request.", CancellationToken.None);
            return true;
        }
        catch (GatewayProblemException notSent) when (notSent.InnerException is BrokenCircuitException or RateLimiterRejectedException)
        {
            // Refused inside the gateway before anything left for ETT: the leg stays plannable and is sent later.
            logger.LogWarning("Leg {LegId} of operation {OperationId} was not sent: {Reason}", leg.Id, leg.OperationId, notSent.Detail);
            await journal.SetLegStatusAsync(leg.Id, LegStatus.IntentRecorded, LegStatus.Planned,
                $"Not sent yet, ETT never saw it: {notSent.Detail} The leg is sent later.", CancellationToken.None);
            return false;
        }
        catch (Exception unobserved)
        {
            // Timeout, 5xx, connection lost: ETT may have queued it. Only the reconciler may decide, from ETT's lists.
            logger.LogWarning("Outcome of leg {LegId} of operation {OperationId} is unknown ({Error})", leg.Id, leg.OperationId, unobserved.GetType().Name);
            await journal.MarkUnknownAsync(leg.Id, CancellationToken.None);
            return true;
        }

        if (!await journal.RecordSubmittedAsync(leg.Id, requestId, CancellationToken.None))
        {
            // Another attempt declared the leg unknown meanwhile; the reconciler finds this request in ETT's lists.
            logger.LogWarning("Leg {LegId} was accepted by ETT as {RequestId} after it was marked unknown", leg.Id, requestId);
        }
        return true;
    }
}
