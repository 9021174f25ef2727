using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Callers;

/// <summary>Which ETT organizations a caller may act for (<see cref="CallerOptions.Organizations"/>).</summary>
public sealed class OrganizationAccess(IOptionsMonitor<CallerOptions> options)
{
    public bool Allows(ClaimsPrincipal user, Guid organizationId)
    {
        var settings = options.CurrentValue;
        var id = Caller.IdOf(user);
        var allowed = id is not null && settings.Organizations.TryGetValue(id, out var listed) ? listed : settings.DefaultOrganizations;
        return allowed.Any(entry => entry == "*" || (Guid.TryParse(entry, out var g) && g == organizationId));
    }
}
