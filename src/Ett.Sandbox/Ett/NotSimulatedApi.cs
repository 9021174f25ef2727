using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Sandbox.Ett;

/// <summary>
/// Every ETT path the sandbox does not simulate (the spreadsheet, wallet-api slices, client info…)
/// answers 501 — never 401, so a caller does not renew a good token because the sandbox lacks an operation. A mapped
/// route always wins over this catch-all; a mapped path called with another method is ETT's empty 405.
/// </summary>
internal static class NotSimulatedApi
{
    public const string ProblemType = "https://ett-sandbox.local/problems/not-simulated";

    public static void Map(IEndpointRouteBuilder ett) => ett.Map("/{**path}", NotSimulated);

    private static IResult NotSimulated(HttpContext http, SandboxState state)
    {
        var request = http.Request;
        string? version = request.Headers.TryGetValue("X-API-Version", out var values) ? values.ToString() : null;
        state.Record(new EttRequest(request.Method, request.PathBase + request.Path, request.QueryString.Value ?? "", version,
            request.Headers.Authorization.Count > 0, Body: null));
        if (http.Features.Get<IStatusCodePagesFeature>() is { } statusCodePages)
        {
            statusCodePages.Enabled = false;
        }

        if (IsMappedForAnotherMethod(http))
        {
            return EttResults.Empty(StatusCodes.Status405MethodNotAllowed);
        }

        return EttResults.Problem(http, StatusCodes.Status501NotImplemented, ProblemType, "Not simulated by the sandbox",
            $"The ETT sandbox does not simulate {request.Method} {request.Path}.");
    }

    private static bool IsMappedForAnotherMethod(HttpContext http)
    {
        var self = http.GetEndpoint();
        var path = http.Request.Path;
        return http.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e != self && e.RoutePattern.RawText is not null && e.Metadata.GetMetadata<IHttpMethodMetadata>() is not null)
            .Any(e => new TemplateMatcher(TemplateParser.Parse(e.RoutePattern.RawText!.TrimStart('/')), new RouteValueDictionary())
                .TryMatch(path, new RouteValueDictionary()));
    }
}
