using System.Net;
using System.Net.Http.Headers;
using Ett.Gateway.Errors;
using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.Mvc;
using Yarp.ReverseProxy.Transforms;

namespace Ett.Gateway.Passthrough;

/// <summary>
/// The passthrough's twin of the typed client's handlers: attaches the ETT token and pinned version, and reacts to
/// ETT's 401/403 by renewing the token for the next request. Proxied requests are never replayed: their bodies stream.
/// </summary>
internal sealed class EttCredentialsTransform(EttCredentials credentials, ApiVersionPins pins, IProblemDetailsService problems)
{
    private const string TokenItem = "Ett.Passthrough.Token";

    public async ValueTask ApplyAsync(RequestTransformContext context)
    {
        var http = context.HttpContext;
        var organization = OrganizationOf(http);
        EttAccessToken token;
        try
        {
            token = await credentials.ForRequestAsync(null, organization, http.RequestAborted);
        }
        catch (GatewayProblemException problem)
        {
            // Writing a response stops YARP: no request reaches ETT without the gateway's token.
            http.Response.StatusCode = problem.Status;
            await problems.WriteAsync(new()
            {
                HttpContext = http,
                ProblemDetails = new ProblemDetails { Status = problem.Status, Type = problem.Type, Title = problem.Title, Detail = problem.Detail },
            });
            return;
        }

        http.Items[TokenItem] = token;
        context.ProxyRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        var version = pins.VersionOf(ApiGroup.ForPath(context.Path.Value ?? ""));
        context.ProxyRequest.Headers.Remove(ApiVersionPins.HeaderName);
        context.ProxyRequest.Headers.TryAddWithoutValidation(ApiVersionPins.HeaderName, version);
    }

    public async ValueTask ObserveAsync(ResponseTransformContext context)
    {
        if (context.ProxyResponse is not { } response || context.HttpContext.Items[TokenItem] is not EttAccessToken token) return;

        var group = ApiGroup.ForPath(context.HttpContext.Request.Path.Value?[PassthroughExtensions.Prefix.Length..] ?? "");
        pins.Observe(group, pins.VersionOf(group), name => response.Headers.TryGetValues(name, out var values) ? values : []);

        var stale = response.StatusCode == HttpStatusCode.Unauthorized ||
            (response.StatusCode == HttpStatusCode.Forbidden && OrganizationOf(context.HttpContext) is { } org &&
             await credentials.IsStaleForAsync(token, org, context.HttpContext.RequestAborted));
        // The streamed request cannot be replayed; the caller's next request gets a fresh token.
        if (stale) credentials.Drop(token);
    }

    private static Guid? OrganizationOf(HttpContext http) => EttRequest.OrganizationOf(http.Request.QueryString.Value);
}
