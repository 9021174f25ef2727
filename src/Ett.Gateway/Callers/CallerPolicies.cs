using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.Authorization;

namespace Ett.Gateway.Callers;

/// <summary>Authorization policies; every endpoint without one still requires an authenticated caller (fallback policy).</summary>
public static class CallerPolicies
{
    /// <summary>Reading ETT data: role <c>Ett.Read</c> or scope <c>ett.read</c> (write implies read), for an allowed organization.</summary>
    public const string Read = "ett.read";

    /// <summary>Changing ETT data: role <c>Ett.Write</c> or scope <c>ett.write</c>, for an allowed organization.</summary>
    public const string Write = "ett.write";

    /// <summary>Read for safe HTTP methods, write for the others: the passthrough's policy.</summary>
    public const string ByMethod = "ett.by-method";
}

internal enum Permission { Read, Write, ByMethod }

/// <summary>A permission plus access to the organization the request names (route value or query <c>organizationId</c>).</summary>
internal sealed record EttPermissionRequirement(Permission Permission) : IAuthorizationRequirement;

internal sealed class EttPermissionHandler(OrganizationAccess organizations) : AuthorizationHandler<EttPermissionRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, EttPermissionRequirement requirement)
    {
        var http = context.Resource as HttpContext;
        var write = requirement.Permission switch
        {
            Permission.Write => true,
            Permission.ByMethod => http is not null && !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method)),
            _ => false,
        };
        var permitted = write ? Caller.MayWrite(context.User) : Caller.MayRead(context.User);
        if (permitted && (http is null || OrganizationOf(http) is not { } organization || organizations.Allows(context.User, organization)))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }

    private static Guid? OrganizationOf(HttpContext http)
    {
        var value = http.GetRouteValue("organizationId")?.ToString();
        return string.IsNullOrEmpty(value) ? EttRequest.OrganizationOf(http.Request.QueryString.Value)
            : Guid.TryParse(value, out var id) ? id : null;
    }
}
