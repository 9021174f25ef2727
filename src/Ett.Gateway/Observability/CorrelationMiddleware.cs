using Ett.Gateway.Errors;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace Ett.Gateway.Observability;

/// <summary>
/// First in the pipeline, so every response — problems, 401/403/404/429 and the passthrough's — carries the id.
/// An invalid <c>X-Correlation-ID</c> is refused with 400 rather than replaced: a caller that sends one wants to find
/// its request by it, and a silently replaced id would lose it. Only the gateway's own id reaches logs and ETT.
/// </summary>
internal sealed class CorrelationMiddleware(RequestDelegate next, TimeProvider time, ILogger<CorrelationMiddleware> logger, IProblemDetailsService problems)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var sent = context.Request.Headers[Correlation.HeaderName];
        var absent = sent.Count == 0 || (sent.Count == 1 && string.IsNullOrEmpty(sent[0]));
        var valid = absent || (sent.Count == 1 && Correlation.IsValid(sent[0]));
        var id = absent || !valid ? Correlation.NewId(time) : sent[0]!;

        context.Features.Set(new CorrelationFeature(id));
        // Set when the response starts, after anything (the passthrough's error mapping) has cleared the headers.
        context.Response.OnStarting(SetHeader, context);

        using var _ = Correlation.Begin(id, logger);
        if (!valid)
        {
            logger.LogWarning("Refused an invalid {Header} header", Correlation.HeaderName);
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await problems.WriteAsync(new()
            {
                HttpContext = context,
                ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]>
                {
                    [Correlation.HeaderName] = [$"Must be 1 to {Correlation.MaxLength} characters A-Z, a-z, 0-9, '.', '_' or '-', sent once."],
                })
                {
                    Status = StatusCodes.Status400BadRequest,
                    Type = ProblemTypes.Validation,
                    Title = "The request is invalid",
                },
            });
            return;
        }
        await next(context);
    }

    /// <summary>Static, with the context as its state: no closure or delegate per request.</summary>
    private static readonly Func<object, Task> SetHeader = static state =>
    {
        var context = (HttpContext)state;
        context.Response.Headers[Correlation.HeaderName] = context.Features.GetRequiredFeature<CorrelationFeature>().Id;
        return Task.CompletedTask;
    };
}

/// <summary>Sends the current correlation id to ETT on the typed client's calls (ETT ignores headers it does not know).</summary>
internal sealed class CorrelationHandler : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Apply(request.Headers);
        return base.SendAsync(request, cancellationToken);
    }

    internal static void Apply(System.Net.Http.Headers.HttpRequestHeaders headers)
    {
        headers.Remove(Correlation.HeaderName);
        if (Correlation.Current is { } id) headers.TryAddWithoutValidation(Correlation.HeaderName, id);
    }
}
