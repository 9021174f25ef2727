using Ett.Gateway.Errors;
using Ett.Gateway.Passthrough;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Defaults;

/// <summary>
/// Header and body limits, answered as problems before an endpoint (and so ETT) sees the request: 431 for headers, 413 for
/// a body whose <c>Content-Length</c> is too large; a body without one is cut off where it passes the limit.
/// </summary>
internal sealed class RequestLimits(RequestDelegate next, IOptions<LimitsOptions> options, IProblemDetailsService problems)
{
    /// <summary>Not async: a request within the limits goes on without a state machine of its own.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        var limits = options.Value;
        if (HeaderBytes(context.Request.Headers) > limits.MaxHeaderBytes)
        {
            return RefuseAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, ProblemTypes.HeadersTooLarge,
                "Request headers too large", $"The request's headers exceed {limits.MaxHeaderBytes} bytes.");
        }

        var maxBody = context.Request.Path.StartsWithSegments(PassthroughExtensions.Prefix)
            ? limits.PassthroughMaxBodyBytes
            : limits.MaxBodyBytes;
        if (context.Request.ContentLength > maxBody)
        {
            return RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, ProblemTypes.BodyTooLarge,
                "Request body too large", $"The request body exceeds {maxBody} bytes.");
        }

        // A body without Content-Length is counted as it is read: past the limit reading fails with a
        // BadHttpRequestException 413, which GatewayProblemHandler answers as a problem. The server counts where it can
        // (Kestrel); elsewhere the body is wrapped to count.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = maxBody;
        else context.Request.Body = new LimitedStream(context.Request.Body, maxBody, () =>
            new BadHttpRequestException($"The request body exceeds {maxBody} bytes.", StatusCodes.Status413PayloadTooLarge));
        return next(context);
    }

    private static long HeaderBytes(IHeaderDictionary headers)
    {
        long total = 0;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values) total += name.Length + (value?.Length ?? 0) + 4; // ": " and CRLF
        }
        return total;
    }

    private async Task RefuseAsync(HttpContext context, int status, string type, string title, string detail)
    {
        // The request is not read; the connection must not be reused with its body still on it.
        context.Response.Headers.Connection = "close";
        context.Response.StatusCode = status;
        await problems.WriteAsync(new()
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Type = type, Title = title, Detail = detail },
        });
    }
}
