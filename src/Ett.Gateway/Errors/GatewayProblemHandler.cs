using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Ett.Gateway.Errors;

/// <summary>Turns <see cref="GatewayProblemException"/> into its ProblemDetails and any other exception into a bare 500.</summary>
internal sealed class GatewayProblemHandler(IProblemDetailsService problems, ILogger<GatewayProblemHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception is GatewayProblemException known
            ? new ProblemDetails { Status = known.Status, Type = known.Type, Title = known.Title, Detail = known.Detail }
            : new ProblemDetails { Status = StatusCodes.Status500InternalServerError, Type = ProblemTypes.Internal, Title = "Unexpected gateway error" };

        if (exception is GatewayProblemException withExtensions)
        {
            foreach (var (key, value) in withExtensions.Extensions) problem.Extensions[key] = value;
            logger.LogWarning("Request failed with {ProblemType} ({Status})", problem.Type, problem.Status);
        }
        else
        {
            logger.LogError(exception, "Unhandled exception");
        }

        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new() { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }
}
