using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ett.Sandbox.Ett;

internal static class AuthorizationApi
{
    public static void Map(IEndpointRouteBuilder ett) =>
        ett.MapGet("/api/authorization/client/consents", GetConsents).AddEndpointFilter(new EttGate(OrganizationCheck.None));

    // Read live, unlike the token's org_ids. Trial clients see only trial organizations, normal clients only normal ones.
    private static IResult GetConsents(HttpContext http, SandboxState state)
    {
        var caller = EttGate.CallerOf(http);
        lock (state.Sync)
        {
            var result = (state.Data.Consents.GetValueOrDefault(caller.ClientId) ?? [])
                .Select(id => state.Data.Organizations[id])
                .Where(o => o.IsTrial == caller.IsTrial)
                .Select(o => new { organizationId = o.Id, organizationName = o.Name, tin = o.Tin })
                .ToList();
            return EttResults.Ok(new { result });
        }
    }
}
