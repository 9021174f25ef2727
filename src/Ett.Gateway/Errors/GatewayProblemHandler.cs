using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Ett.Gateway.Errors;

/// <summary>
/// Writes every exception as a ProblemDetails: <see cref="GatewayProblemException"/> as itself, model-binding failures as
/// validation problems, anything else as a 500 that reveals nothing of the exception.
/// </summary>
internal sealed partial class GatewayProblemHandler(IProblemDetailsService problems, ILogger<GatewayProblemHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            // The caller hung up; nobody reads a response and it is not a gateway fault.
            context.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
            return true;
        }

        var problem = exception switch
        {
            GatewayProblemException known => FromKnown(known),
            BadHttpRequestException badRequest => FromBadRequest(badRequest),
            _ => new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Type = ProblemTypes.Internal,
                Title = "Unexpected gateway error",
            },
        };

        if (problem.Status >= StatusCodes.Status500InternalServerError && exception is not GatewayProblemException)
            logger.LogError(exception, "Unhandled exception");
        else
            logger.LogWarning("Request failed with {ProblemType} ({Status})", problem.Type, problem.Status);

        context.Response.StatusCode = problem.Status!.Value;
        if (exception is GatewayProblemException { RetryAfter: { } wait })
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The exception stays out of the context so no writer can render its message or stack trace.
        return await problems.TryWriteAsync(new() { HttpContext = context, ProblemDetails = problem });
    }

    /// <summary>The problem a <see cref="GatewayProblemException"/> stands for; also for writers outside the exception path (YARP transforms).</summary>
    internal static ProblemDetails FromKnown(GatewayProblemException known)
    {
        ProblemDetails problem = known.Errors is { } errors
            ? new HttpValidationProblemDetails(errors.ToDictionary())
            : new ProblemDetails();
        problem.Status = known.Status;
        problem.Type = known.Type;
        problem.Title = known.Title;
        problem.Detail = known.Detail;
        foreach (var (key, value) in known.Extensions) problem.Extensions[key] = value;
        return problem;
    }

    /// <summary>
    /// Minimal APIs throw this for a route or query value that does not bind (a bad GUID, a bad DateTimeOffset) or an
    /// unreadable body, because the gateway sets <c>RouteHandlerOptions.ThrowOnBadRequest</c>; without it the caller
    /// would get an empty 400. The framework's message names the parameter and the offending value, nothing more.
    /// </summary>
    private static ProblemDetails FromBadRequest(BadHttpRequestException exception)
    {
        var detail = exception.Message;
        ProblemDetails problem = BadField(exception) is { } field
            ? new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field.Name] = [field.Message] })
            : new ProblemDetails();
        problem.Status = exception.StatusCode;
        (problem.Type, problem.Title) = exception.StatusCode == StatusCodes.Status413PayloadTooLarge
            ? (ProblemTypes.BodyTooLarge, "Request body too large")
            : (ProblemTypes.Validation, "The request is invalid");
        problem.Detail = detail;
        return problem;
    }

    private static (string Name, string Message)? BadField(BadHttpRequestException exception)
    {
        // A body that does not deserialize: System.Text.Json knows the field ("$.walletId"). Its message names .NET types
        // (often the enclosing record, not the field's), so callers get a fixed text.
        if (exception.InnerException is JsonException { Path: { Length: > 2 } path } && path.StartsWith("$.", StringComparison.Ordinal))
            return (path[2..], "Has a value of the wrong type or format.");

        return BoundParameter().Match(exception.Message) is { Success: true } match
            ? (JsonName(match.Groups["name"].Value), exception.Message)
            : null;
    }

    private static string JsonName(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    // RequestDelegateFactory's messages: Failed to bind parameter "Guid id" from "x". / Required parameter "int limit" was
    // not provided from query string.
    [GeneratedRegex(@"parameter ""(?:[^""]* )?(?<name>[A-Za-z_][A-Za-z0-9_]*)""")]
    private static partial Regex BoundParameter();
}
