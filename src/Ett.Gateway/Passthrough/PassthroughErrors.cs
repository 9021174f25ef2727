using System.Net;
using Ett.Gateway.Errors;
using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Ett.Gateway.Passthrough;

/// <summary>
/// The passthrough's failures in the gateway's problem types: YARP's own 502/504 (which it sends with an empty body) and
/// ETT's 401, which answers the gateway's token, not the caller's — passed on bare it reads as if the caller's had failed.
/// </summary>
internal sealed class PassthroughErrors(IProblemDetailsService problems, IOptions<EttResilienceOptions> resilience)
{
    /// <summary>YARP's limit on silence from ETT (no headers, no body bytes); it answers 504 when it passes.</summary>
    public ForwarderRequestConfig RequestConfig => new() { ActivityTimeout = resilience.Value.PassthroughActivityTimeout };

    /// <summary>A response transform; runs after the others, also when ETT sent no response at all.</summary>
    public async ValueTask MapAsync(ResponseTransformContext context)
    {
        var http = context.HttpContext;
        if (http.Response.HasStarted) return;

        if (context.ProxyResponse is null)
        {
            if (Problem(http.Features.Get<IForwarderErrorFeature>()?.Error) is not { } failure) return;
            await WriteAsync(http, failure);
            return;
        }

        if (context.ProxyResponse.StatusCode != HttpStatusCode.Unauthorized) return;
        // ETT's headers (WWW-Authenticate, Content-Length) describe its own 401 body, which is not sent.
        context.SuppressResponseBody = true;
        http.Response.Headers.Clear();
        var rejected = new ProblemDetails
        {
            Status = StatusCodes.Status502BadGateway,
            Type = ProblemTypes.UpstreamUnavailable,
            Title = "ETT rejected the gateway's access token",
            Detail = "ETT answered 401 to the gateway's own token; it is dropped and the next request gets a new one.",
        };
        rejected.Extensions["upstreamStatus"] = StatusCodes.Status401Unauthorized;
        await WriteAsync(http, rejected);
    }

    /// <summary>The problem for a YARP error; null where the caller went away or nothing is left to say.</summary>
    internal static ProblemDetails? Problem(ForwarderError? error) => error switch
    {
        null or ForwarderError.None or ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled
            or ForwarderError.RequestBodyClient => null,
        ForwarderError.RequestTimedOut => Unavailable(StatusCodes.Status504GatewayTimeout, "ETT did not answer in time."),
        _ => Unavailable(StatusCodes.Status502BadGateway, "ETT could not be reached."),
    };

    private static ProblemDetails Unavailable(int status, string detail) => new()
    {
        Status = status,
        Type = ProblemTypes.UpstreamUnavailable,
        Title = "ETT is unavailable",
        Detail = detail,
    };

    private async Task WriteAsync(HttpContext http, ProblemDetails problem)
    {
        http.Response.StatusCode = problem.Status!.Value;
        await problems.WriteAsync(new() { HttpContext = http, ProblemDetails = problem });
    }
}
