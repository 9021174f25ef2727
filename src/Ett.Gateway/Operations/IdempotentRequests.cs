using System.Globalization;
using System.Text.Json;
using Ett.Gateway.Callers;
using Ett.Gateway.Errors;
using Ett.Gateway.Observability;
using Ett.Gateway.Operations.Store;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Operations;

/// <summary>
/// The <c>Idempotency-Key</c> header (IETF draft "The Idempotency-Key HTTP Header Field") for every POST that starts
/// an operation: keys are scoped to the calling identity; the same key with the same payload replays the stored
/// response byte for byte, with another payload answers 422, and while the first request still runs answers 409.
/// Completed keys are kept for <c>Operations:IdempotencyRetention</c> (at least 24 hours) after their response.
/// </summary>
internal sealed class IdempotentRequests(
    IIdempotencyStore keys, IOperationStore journal, IOptions<OperationsOptions> options, IOptions<JsonOptions> json, TimeProvider time, ILogger<IdempotentRequests> logger, GatewayMetrics metrics)
{
    public const string HeaderName = "Idempotency-Key";
    public const int MaxKeyLength = 255;

    public const string HeaderDescription =
        "Required. 1 to 255 visible ASCII characters (quoted as the IETF draft's sf-string, or bare), unique per intended request; " +
        "send the same key when retrying. Kept at least 24 hours.";

    /// <summary>
    /// Runs <paramref name="work"/> once per caller and key. The request is fingerprinted as the gateway bound it, so
    /// a retry that spells the same JSON differently still matches.
    /// </summary>
    public async Task<Results<IdempotentResponse, ProblemHttpResult>> ExecuteAsync<TRequest>(
        HttpContext http, string? idempotencyKey, TRequest request, Func<IdempotentAttempt, CancellationToken, Task<IdempotentOutcome>> work)
    {
        if (KeyProblem(idempotencyKey) is { } invalid)
            return TypedResults.Problem(invalid, statusCode: StatusCodes.Status400BadRequest, title: "Idempotency-Key required", type: ProblemTypes.IdempotencyKeyRequired);
        var key = Unquote(idempotencyKey!);
        if (Caller.IdOf(http.User) is not { } callerId)
            return TypedResults.Problem("The caller token names no client (azp, appid, client_id or sub) to scope idempotency keys to.",
                statusCode: StatusCodes.Status403Forbidden, title: "Caller not identifiable", type: ProblemTypes.Forbidden);

        var body = JsonSerializer.SerializeToUtf8Bytes(request, json.Value.SerializerOptions);
        var fingerprint = RequestFingerprint.Compute(http.Request.Method, http.Request.Path.Value ?? "", body);
        var cancellationToken = http.RequestAborted;

        switch (await keys.TryBeginAsync(callerId, key, fingerprint, options.Value.LeaseDuration, cancellationToken))
        {
            case IdempotencyBegin.Replay replay:
                metrics.Idempotency("replayed");
                if (AuditDetails.Of(http) is { } replayed)
                {
                    replayed.Replayed = true;
                    replayed.OperationId = replay.OperationId;
                }
                return new IdempotentResponse(replay.Response);
            case IdempotencyBegin.InFlight inFlight:
                metrics.Idempotency("in_flight");
                var wait = Math.Max(1, (int)Math.Ceiling((inFlight.LeaseExpiresAt - time.GetUtcNow()).TotalSeconds));
                http.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
                return TypedResults.Problem("An earlier request with this Idempotency-Key is still being processed.",
                    statusCode: StatusCodes.Status409Conflict, title: "Request in flight", type: ProblemTypes.IdempotencyKeyInFlight);
            case IdempotencyBegin.FingerprintMismatch:
                metrics.Idempotency("key_reused");
                return TypedResults.Problem("This Idempotency-Key was already used with a different request.",
                    statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused", type: ProblemTypes.IdempotencyKeyReused);
            case IdempotencyBegin.Started started:
                var attempt = new IdempotentAttempt(started, callerId, System.Text.Encoding.UTF8.GetString(body), time.GetUtcNow())
                {
                    CorrelationId = http.Features.Get<Observability.CorrelationFeature>()?.Id,
                };
                return await RunAsync(attempt, work, AuditDetails.Of(http), cancellationToken);
            case var other:
                throw new InvalidOperationException($"Unexpected idempotency outcome {other.GetType().Name}.");
        }
    }

    private async Task<Results<IdempotentResponse, ProblemHttpResult>> RunAsync(
        IdempotentAttempt attempt, Func<IdempotentAttempt, CancellationToken, Task<IdempotentOutcome>> work, AuditDetails? audit, CancellationToken cancellationToken)
    {
        IdempotentOutcome outcome;
        var lifetime = options.Value.LeaseDuration;
        var renewals = new PeriodicTimer(lifetime / 3, time);
        var keeper = KeepLeaseAsync(attempt, lifetime, renewals);
        try
        {
            outcome = await work(attempt, cancellationToken);
        }
        catch when (!attempt.HasOperation)
        {
            // Nothing reached ETT: forget the key so that a retry starts afresh.
            await keys.ReleaseAsync(attempt.Lease, CancellationToken.None);
            throw;
        }
        finally
        {
            renewals.Dispose();
            await keeper;
        }
        // Once an operation exists, a failure keeps the key: when the lease runs out, a retry resumes the operation.

        switch (outcome)
        {
            case IdempotentOutcome.Rejected rejected:
                if (!attempt.HasOperation) await keys.ReleaseAsync(attempt.Lease, CancellationToken.None);
                return rejected.Problem;
            case IdempotentOutcome.Accepted accepted:
                if (audit is not null) Describe(audit, accepted.Operation);
                var response = AcceptedResponse(accepted.Operation);
                // If the lease was lost meanwhile, the attempt that took over stores its own, equivalent response. The
                // call's audit record goes with the response, in its transaction, rather than in a write of its own.
                var record = audit?.Compose(response.StatusCode);
                await keys.CompleteAsync(attempt.Lease, response, record, CancellationToken.None);
                if (audit is not null) audit.Stored = record;
                return new IdempotentResponse(response);
            default:
                throw new InvalidOperationException("Unexpected operation outcome.");
        }
    }

    /// <summary>
    /// Renews the lease while the attempt works (reading a large wallet can outlast it), so that a retry gets 409
    /// instead of taking over a live attempt. Stops when the lease was lost or the work ended: disposing
    /// <paramref name="renewals"/> ends the wait without the exception a cancelled wait would throw on every request.
    /// </summary>
    private async Task KeepLeaseAsync(IdempotentAttempt attempt, TimeSpan lifetime, PeriodicTimer renewals)
    {
        try
        {
            while (await renewals.WaitForNextTickAsync())
            {
                if (!await attempt.RenewLeaseAsync(keys, lifetime, time)) return;
            }
        }
        catch (Exception exception)
        {
            // The store is unreachable: the work finds out itself; the lease then runs out as after a crash.
            logger.LogWarning("Lease of an Idempotency-Key could not be renewed ({Error})", exception.GetType().Name);
        }
    }

    /// <summary>
    /// Completes keys whose request died after creating its operation, with the 202 it would have answered, so that
    /// a retry replays it and the key is purged after retention. Returns how many.
    /// </summary>
    public async Task<int> CompleteAbandonedAsync(int limit, CancellationToken cancellationToken)
    {
        var completed = 0;
        foreach (var key in await keys.ListAbandonedAsync(limit, cancellationToken))
        {
            if (await journal.GetOperationAsync(key.OperationId, cancellationToken) is not { } operation) continue;
            if (await keys.CompleteAbandonedAsync(key, AcceptedResponse(operation), cancellationToken)) completed++;
        }
        return completed;
    }

    private static void Describe(AuditDetails audit, OperationRecord operation)
    {
        audit.OperationId = operation.Id;
        audit.OrganizationId = operation.OrganizationId;
        audit.QuantityWh = operation.RequestedWh;
        audit.Certificates = [.. operation.Legs
            .SelectMany(leg => leg.ConsumptionCertificate is { } consumption ? [leg.ProductionCertificate, consumption] : new[] { leg.ProductionCertificate })
            .Select(certificate => $"{certificate.Registry}/{certificate.StreamId}")
            .Distinct()];
    }

    private StoredResponse AcceptedResponse(OperationRecord operation) => new(
        StatusCodes.Status202Accepted,
        "application/json; charset=utf-8",
        new Dictionary<string, string> { ["Location"] = $"/operations/{operation.Id}" },
        JsonSerializer.SerializeToUtf8Bytes(OperationView.From(operation), json.Value.SerializerOptions));

    /// <summary>Why the header is unusable, or null. The draft sends an sf-string (quoted); a bare token is accepted too.</summary>
    internal static string? KeyProblem(string? header)
    {
        if (string.IsNullOrWhiteSpace(header)) return $"The {HeaderName} header is required on this request.";
        var key = Unquote(header);
        if (key.Length is 0 or > MaxKeyLength) return $"The {HeaderName} must be 1 to {MaxKeyLength} characters.";
        if (key.Any(c => c is < '\u0021' or > '\u007e')) return $"The {HeaderName} may hold only visible ASCII characters.";
        return null;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;
}

/// <summary>One attempt that owns an Idempotency-Key: its lease and what it has committed to.</summary>
internal sealed class IdempotentAttempt(IdempotencyBegin.Started started, string callerId, string requestJson, DateTimeOffset begunAt)
{
    public IdempotencyLease Lease => started.Lease;
    public string CallerId => callerId;

    /// <summary>When the attempt began, before any of its ETT reads: the reservation counts legs that ETT settled since.</summary>
    public DateTimeOffset BegunAt => begunAt;

    /// <summary>The request as the gateway bound it, kept with the operation.</summary>
    public string RequestJson => requestJson;

    /// <summary>The request's correlation id, kept with the operation.</summary>
    public string? CorrelationId { get; init; }

    private long leaseExpiresAtTicks = started.LeaseExpiresAt.UtcTicks;

    /// <summary>
    /// No earlier than the lease's expiry as stored: an instant taken before the store computed it from the same
    /// lifetime. Until then no other attempt can take the key over (a takeover needs an expired lease).
    /// </summary>
    public DateTimeOffset LeaseExpiresAt => new(Volatile.Read(ref leaseExpiresAtTicks), TimeSpan.Zero);

    /// <summary>Renews the lease for <paramref name="lifetime"/>; false when another attempt took the key over.</summary>
    public async Task<bool> RenewLeaseAsync(IIdempotencyStore keys, TimeSpan lifetime, TimeProvider time)
    {
        var expiresAt = time.GetUtcNow() + lifetime;
        if (!await keys.RenewLeaseAsync(Lease, lifetime, CancellationToken.None)) return false;
        // The lease keeper and the legs' runner renew concurrently: keep the later expiry.
        var ticks = expiresAt.UtcTicks;
        for (var seen = Volatile.Read(ref leaseExpiresAtTicks); seen < ticks;)
        {
            var before = Interlocked.CompareExchange(ref leaseExpiresAtTicks, ticks, seen);
            if (before == seen) break;
            seen = before;
        }
        return true;
    }

    /// <summary>The operation an earlier attempt with this key created and did not finish.</summary>
    public Guid? ResumableOperationId => started.OperationId;

    /// <summary>True once an operation is attached to the key: from then on, the key is never released.</summary>
    public bool HasOperation { get; private set; } = started.OperationId is not null;

    public void OperationCreated() => HasOperation = true;
}

/// <summary>What an operation-starting request came to.</summary>
internal abstract record IdempotentOutcome
{
    private IdempotentOutcome() { }

    /// <summary>202 with the operation; stored for replay.</summary>
    public sealed record Accepted(OperationRecord Operation) : IdempotentOutcome;

    /// <summary>Refused before anything was sent to ETT: the key is released, so a corrected retry may reuse it.</summary>
    public sealed record Rejected(ProblemHttpResult Problem) : IdempotentOutcome;

    /// <summary>What a reservation came to; <paramref name="refusal"/> is the plan's reason when it refused.</summary>
    public static IdempotentOutcome Of(Reservation reservation, ProblemHttpResult? refusal) => reservation switch
    {
        Reservation.Created created => new Accepted(created.Operation),
        Reservation.Refused => new Rejected(refusal ?? throw new InvalidOperationException("A refused plan gave no reason.")),
        _ => new Rejected(LeaseLost()),
    };

    /// <summary>Another attempt took the key over while this one planned: it carries on.</summary>
    public static ProblemHttpResult LeaseLost() =>
        TypedResults.Problem("Another request with this Idempotency-Key took over.", statusCode: StatusCodes.Status409Conflict,
            title: "Request in flight", type: ProblemTypes.IdempotencyKeyInFlight);
}

/// <summary>A stored response, written exactly as stored: the first answer and every replay are the same bytes.</summary>
internal sealed class IdempotentResponse(StoredResponse response) : IResult
{
    public StoredResponse Response => response;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = response.StatusCode;
        if (response.ContentType is { } contentType) httpContext.Response.ContentType = contentType;
        foreach (var (name, value) in response.Headers) httpContext.Response.Headers[name] = value;
        httpContext.Response.ContentLength = response.Body.Length;
        await httpContext.Response.Body.WriteAsync(response.Body, httpContext.RequestAborted);
    }
}
