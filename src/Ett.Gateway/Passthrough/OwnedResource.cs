using Ett.Gateway.Errors;
using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.Mvc;
using Yarp.ReverseProxy.Transforms;

namespace Ett.Gateway.Passthrough;

/// <summary>
/// A resource ETT reads by id across every organization of the gateway's token: <paramref name="Parameter"/> names the
/// route value, <paramref name="ListOwnedAsync"/> the ids the organization itself holds.
/// </summary>
internal sealed record OwnedResource(string Parameter, string Noun, Func<EttClient, Guid, CancellationToken, Task<IEnumerable<Guid>>> ListOwnedAsync)
{
    /// <summary>
    /// A request transform: forwards only an id in the named organization's own list, else answers 404 itself (writing a
    /// response stops YARP), so a caller allowed one organization cannot read another's resource by its id.
    /// </summary>
    public async ValueTask CheckAsync(RequestTransformContext context)
    {
        var http = context.HttpContext;
        // The organization check before this transform allowed exactly one organizationId.
        var organization = EttRequest.OrganizationOf(http.Request.QueryString.Value)!.Value;
        ProblemDetails? refusal;
        try
        {
            var ett = http.RequestServices.GetRequiredService<EttClient>();
            var owned = Guid.TryParse(http.GetRouteValue(Parameter) as string, out var id)
                && (await ListOwnedAsync(ett, organization, http.RequestAborted)).Contains(id);
            refusal = owned ? null : new ProblemDetails
            {
                Status = StatusCodes.Status404NotFound,
                Type = ProblemTypes.NotFound,
                Title = "Not found",
                Detail = $"Organization {organization} has no {Noun} with this id.",
            };
        }
        catch (GatewayProblemException problem)
        {
            refusal = GatewayProblemHandler.FromKnown(problem);
        }
        if (refusal is null) return;

        http.Response.StatusCode = refusal.Status!.Value;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new() { HttpContext = http, ProblemDetails = refusal });
    }
}
