using System.Net;
using Ett.Gateway.Errors;
using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Transforms;

namespace Ett.Gateway.Passthrough;

/// <summary>
/// The passthrough's twin of the typed client's handlers: attaches the ETT token and pinned version, and reacts to
/// ETT's 401/403 by renewing the token for the next request. Proxied requests are never replayed: their bodies stream.
/// </summary>
internal sealed class EttCredentialsTransform(EttCredentials credentials, ApiVersionPins pins, IProblemDetailsService problems)
{
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

        var call = PassthroughCall.Of(http);
        var group = call.Group = ApiGroup.ForPath(context.Path.Value.AsSpan());
        var version = call.Version = pins.VersionOf(group);
        call.Token = token;
        context.ProxyRequest.Headers.Remove(HeaderNames.Authorization);
        context.ProxyRequest.Headers.TryAddWithoutValidation(HeaderNames.Authorization, token.AuthorizationHeader);
        context.ProxyRequest.Headers.Remove(ApiVersionPins.HeaderName);
        context.ProxyRequest.Headers.TryAddWithoutValidation(ApiVersionPins.HeaderName, version);
    }

    public async ValueTask ObserveAsync(ResponseTransformContext context)
    {
        if (context.ProxyResponse is not { } response || PassthroughCall.Find(context.HttpContext) is not { Token: { } token, Group: { } group } call) return;

        if (response.Headers.Contains(DeprecatedVersions) || response.Headers.Contains(Sunset)) ObserveVersions(group, call.Version, response);

        var stale = response.StatusCode == HttpStatusCode.Unauthorized ||
            (response.StatusCode == HttpStatusCode.Forbidden && OrganizationOf(context.HttpContext) is { } org &&
             await credentials.IsStaleForAsync(token, org, context.HttpContext.RequestAborted));
        // The streamed request cannot be replayed; the caller's next request gets a fresh token.
        if (stale) credentials.Drop(token);
    }

    /// <summary>Apart from <see cref="ObserveAsync"/>, so that its closure is made only for an answer that has the headers.</summary>
    private void ObserveVersions(ApiGroup group, string version, HttpResponseMessage response) =>
        pins.Observe(group, version, name => response.Headers.TryGetValues(name, out var values) ? values : []);

    private const string DeprecatedVersions = "api-deprecated-versions";
    private const string Sunset = "Sunset";

    private static Guid? OrganizationOf(HttpContext http) => EttRequest.OrganizationOf(http.Request.QueryString.Value);
}
