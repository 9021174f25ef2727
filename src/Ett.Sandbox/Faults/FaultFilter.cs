using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Sandbox.Faults;

/// <summary>Applies the first matching <see cref="SandboxFault"/> to a request of the simulated ETT or its token endpoint.</summary>
internal sealed class FaultFilter : IEndpointFilter
{
    private const string HtmlPage =
        "<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>The service is temporarily unavailable</h1></body></html>";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var faults = http.RequestServices.GetRequiredService<SandboxFaults>();
        if (faults.Take(http.Request.Method, http.Request.PathBase + http.Request.Path) is not { } fault)
        {
            return await next(context);
        }

        var time = http.RequestServices.GetRequiredService<TimeProvider>();
        if (http.Features.Get<IStatusCodePagesFeature>() is { } statusCodePages)
        {
            statusCodePages.Enabled = false;
        }

        switch (fault.Kind)
        {
            case SandboxFaultKind.Latency:
                var latency = Task.Delay(fault.Delay ?? TimeSpan.Zero, time, http.RequestAborted);
                faults.Holding();
                await latency;
                return await next(context);
            case SandboxFaultKind.Status:
                return Results.StatusCode(fault.Status ?? StatusCodes.Status503ServiceUnavailable);
            case SandboxFaultKind.Html:
                return Results.Content(HtmlPage, "text/html", System.Text.Encoding.UTF8, StatusCodes.Status200OK);
            case SandboxFaultKind.Reset:
                http.Abort();
                return Results.Empty;
            case SandboxFaultKind.Hang:
                await HoldAsync(faults, time, fault.Delay, http.RequestAborted);
                http.Abort();
                return Results.Empty;
            case SandboxFaultKind.Truncated:
                await WriteHalfAsync(http, await next(context));
                http.Abort();
                return Results.Empty;
            default:
                // ResponseLost: the handler has run, so the request is applied; its answer never leaves.
                await next(context);
                http.Abort();
                return Results.Empty;
        }
    }

    private static async Task HoldAsync(SandboxFaults faults, TimeProvider time, TimeSpan? delay, CancellationToken aborted)
    {
        try
        {
            var hold = Task.Delay(delay ?? Timeout.InfiniteTimeSpan, time, aborted);
            faults.Holding();
            await hold;
        }
        catch (OperationCanceledException)
        {
            // The caller gave up.
        }
    }

    /// <summary>Runs the handler's result into a buffer and sends its status and the first half of its body, announcing the whole length.</summary>
    private static async Task WriteHalfAsync(HttpContext http, object? result)
    {
        var original = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        if (result is IResult executable)
        {
            await executable.ExecuteAsync(http);
        }

        http.Response.Body = original;
        var body = buffer.ToArray();
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body.AsMemory(0, body.Length / 2), http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }
}
