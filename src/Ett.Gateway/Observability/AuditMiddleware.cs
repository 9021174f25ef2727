using Ett.Gateway.Callers;
using Ett.Gateway.Errors;

namespace Ett.Gateway.Observability;

/// <summary>
/// Writes one audit record per state-changing call (POST, PUT, PATCH, DELETE) of an authenticated caller, whatever
/// its outcome, to the store and as a log event, before the call completes. Not audited: anonymous calls (answered
/// 401 before anything happens), rate-limited ones (429, nothing attempted; counted in metrics) and the sandbox.
/// A store failure is logged and never fails the call itself.
/// </summary>
internal sealed partial class AuditMiddleware(RequestDelegate next, IAuditStore trail, TimeProvider time, ILogger<AuditMiddleware> logger)
{
    private const int MaxPathLength = 512;

    /// <summary>Not async for what is not audited (every read): it goes on without a state machine of its own.</summary>
    public Task InvokeAsync(HttpContext context) =>
        !IsStateChanging(context.Request.Method) || context.Request.Path.StartsWithSegments("/sandbox")
            || Caller.IdOf(context.User) is not { } callerId
            ? next(context)
            : AuditAsync(context, callerId);

    private async Task AuditAsync(HttpContext context, string callerId)
    {
        var details = new AuditDetails();
        details.Composer = status => Compose(context, callerId, status, details);
        context.Features.Set(details);
        int? failedWith = null;
        try
        {
            await next(context);
        }
        catch (Exception exception)
        {
            // The exception handler further out answers it; the record says what the caller will see.
            failedWith = exception switch
            {
                GatewayProblemException problem => problem.Status,
                BadHttpRequestException bad => bad.StatusCode,
                _ => StatusCodes.Status500InternalServerError,
            };
            throw;
        }
        finally
        {
            var status = failedWith ?? context.Response.StatusCode;
            if (details.Stored is { } stored) Log(stored);
            else if (status != StatusCodes.Status429TooManyRequests && !context.RequestAborted.IsCancellationRequested)
                await RecordAsync(Compose(context, callerId, status, details));
        }
    }

    private static bool IsStateChanging(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    private AuditRecord Compose(HttpContext context, string callerId, int status, AuditDetails details)
    {
        var endpoint = context.GetEndpoint();
        var path = context.Request.Path.Value ?? "";
        return new AuditRecord
        {
            AuditId = Guid.CreateVersion7(time.GetUtcNow()),
            RecordedAt = time.GetUtcNow(),
            CallerId = callerId,
            OrganizationId = details.OrganizationId ?? OrganizationOf(context),
            Action = endpoint?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? endpoint?.DisplayName ?? "unmatched",
            Method = context.Request.Method,
            Path = path.Length > MaxPathLength ? path[..MaxPathLength] : path,
            Status = status,
            Outcome = status switch
            {
                >= 500 => "failed",
                >= 400 => "refused",
                _ when details.Replayed => "replayed",
                _ => "succeeded",
            },
            QuantityWh = details.QuantityWh,
            Certificates = details.Certificates,
            CorrelationId = context.Features.Get<CorrelationFeature>()?.Id ?? "",
            OperationId = details.OperationId,
        };
    }

    private void Log(AuditRecord record) =>
        Recorded(logger, record.Action, record.CallerId, record.OrganizationId, record.Status, record.Outcome, record.QuantityWh,
            string.Join(',', record.Certificates), record.OperationId, record.CorrelationId);

    private async Task RecordAsync(AuditRecord record)
    {
        Log(record);
        try
        {
            await trail.AppendAsync(record, CancellationToken.None);
        }
        catch (Exception exception)
        {
            // The exception type only: a connection error's message can name the connection string.
            logger.LogError("Audit record {AuditId} could not be stored ({Error})", record.AuditId, exception.GetType().Name);
        }
    }

    /// <summary>The route's organization, else the passthrough's <c>organizationId</c> query value (checked by then).</summary>
    private static Guid? OrganizationOf(HttpContext context) =>
        context.Request.RouteValues.TryGetValue(EttPermissionHandler.OrganizationParameter, out var value) && Guid.TryParse(value?.ToString(), out var routed)
            ? routed
            : Upstream.EttRequest.OrganizationOf(context.Request.QueryString.Value);

    [LoggerMessage(EventId = 4100, EventName = "Audit", Level = LogLevel.Information,
        Message = "Audit {Action} by {CallerId} for {OrganizationId}: {Status} {Outcome}, {QuantityWh} Wh, certificates [{Certificates}], operation {OperationId}, correlation {CorrelationIdOfCall}")]
    private static partial void Recorded(ILogger logger, string action, string callerId, Guid? organizationId, int status, string outcome,
        long? quantityWh, string certificates, Guid? operationId, string correlationIdOfCall);
}
