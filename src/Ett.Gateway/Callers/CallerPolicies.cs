using Ett.Gateway.Errors;
using Ett.Gateway.Upstream;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Callers;

/// <summary>
/// The permissions, one authorization policy each, named as the app role that grants it (the scope is its lowercase
/// twin). Every endpoint declares exactly one; each also checks the organization the request names.
/// </summary>
public static class CallerPolicies
{
    /// <summary>Every read (GET). Any other permission, and <c>Ett.Write</c>, includes it.</summary>
    public const string Read = "Ett.Read";

    /// <summary>Creating and changing contracts, and endpoints to receive certificates.</summary>
    public const string Contracts = "Ett.Contracts";

    /// <summary>Registering partners and transferring to them.</summary>
    public const string Transfer = "Ett.Transfer";

    /// <summary>Claiming production against consumption.</summary>
    public const string Claim = "Ett.Claim";

    /// <summary>The gateway's own ETT client credentials and any other admin operation; <c>Ett.Write</c> does not grant it.</summary>
    public const string Admin = "Ett.Admin";

    public static readonly IReadOnlyList<string> All = [Read, Contracts, Transfer, Claim, Admin];

    /// <summary>
    /// Organization access, one policy per permission, a fallback that requires an authenticated caller, and 403s that
    /// say what is missing.
    /// </summary>
    internal static IServiceCollection AddCallerAccess(this IServiceCollection services)
    {
        services.AddSingleton<OrganizationAccess>();
        services.AddSingleton<IPostConfigureOptions<CallerOptions>, EmptyOrganizationLists>();
        services.AddSingleton<EttPermissionHandler>();
        services.AddSingleton<IAuthorizationHandler>(sp => sp.GetRequiredService<EttPermissionHandler>());
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AccessRefusalWriter>();
        var authorization = services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        foreach (var permission in All)
            authorization.AddPolicy(permission, p => p.RequireAuthenticatedUser().AddRequirements(new EttPermissionRequirement(permission)));

        // ASP.NET Core registers these transient, so the authorization middleware built their graph again for every
        // request; none of them holds request state (the handlers here are singletons, the policies fixed at start).
        services.Replace(ServiceDescriptor.Singleton<IAuthorizationPolicyProvider, DefaultAuthorizationPolicyProvider>());
        services.Replace(ServiceDescriptor.Singleton<IAuthorizationHandlerProvider, DefaultAuthorizationHandlerProvider>());
        services.Replace(ServiceDescriptor.Singleton<IAuthorizationEvaluator, DefaultAuthorizationEvaluator>());
        services.Replace(ServiceDescriptor.Singleton<IAuthorizationHandlerContextFactory, DefaultAuthorizationHandlerContextFactory>());
        services.Replace(ServiceDescriptor.Singleton<IAuthorizationService, DefaultAuthorizationService>());
        services.Replace(ServiceDescriptor.Singleton<IPolicyEvaluator, PolicyEvaluator>());
        return services;
    }
}

/// <summary>Where a request names its organization; endpoint metadata, <see cref="Route"/> when absent.</summary>
internal enum OrganizationSource
{
    /// <summary>The route value <c>organizationId</c>, when the route has one.</summary>
    Route,

    /// <summary>ETT's query parameter <c>organizationId</c>: exactly once, in any spelling of the name, a non-empty GUID.</summary>
    Query,

    /// <summary>None: the operation concerns every organization, so only callers that may act for all may call it.</summary>
    Every,
}

internal sealed record OrganizationSourceMetadata(OrganizationSource Source);

internal sealed record EttPermissionRequirement(string Permission) : IAuthorizationRequirement;

/// <summary>Why a request was refused: 403 with the missing permission or organization, or 400 for an unusable organizationId.</summary>
internal sealed class AccessRefusal(IAuthorizationHandler handler, int status, string detail) : AuthorizationFailureReason(handler, detail)
{
    public int Status { get; } = status;
}

internal sealed class EttPermissionHandler(OrganizationAccess organizations) : AuthorizationHandler<EttPermissionRequirement>
{
    public const string OrganizationParameter = EttRequest.OrganizationParameter;

    /// <summary>As the base class does, without its <c>OfType</c> iterator and enumerator on every request.</summary>
    public override Task HandleAsync(AuthorizationHandlerContext context)
    {
        if (context.Requirements is not IReadOnlyList<IAuthorizationRequirement> requirements) return base.HandleAsync(context);
        for (var i = 0; i < requirements.Count; i++)
        {
            if (requirements[i] is not EttPermissionRequirement requirement) continue;
            // Every path of HandleRequirementAsync answers at once; one that waited would have to go the base class's way.
            if (!HandleRequirementAsync(context, requirement).IsCompletedSuccessfully)
                throw new InvalidOperationException("The permission check must answer synchronously.");
        }
        return Task.CompletedTask;
    }

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, EttPermissionRequirement requirement)
    {
        if (!context.User.Identities.Any(i => i.IsAuthenticated)) return Task.CompletedTask;
        if (RefusalOf(context.User, context.Resource, requirement.Permission) is { } refusal)
            context.Fail(new AccessRefusal(this, refusal.Status, refusal.Detail));
        else
            context.Succeed(requirement);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Why an authenticated caller may not make this request with <paramref name="permission"/>, or null when it may:
    /// the whole decision, shared with <see cref="CallerAuthorization"/>'s way for granted requests.
    /// </summary>
    public Refusal? RefusalOf(ClaimsPrincipal user, object? resource, string permission)
    {
        if (!Caller.Holds(user, permission))
            return new(StatusCodes.Status403Forbidden,
                $"The caller lacks the permission {permission} (app role '{permission}' or scope '{permission.ToLowerInvariant()}').");
        // Closed by default: without the request to look at, nothing can be checked.
        if (resource is not HttpContext http) return new(StatusCodes.Status403Forbidden, "The request could not be checked.");

        var source = http.GetEndpoint()?.Metadata.GetMetadata<OrganizationSourceMetadata>()?.Source ?? OrganizationSource.Route;
        if (source == OrganizationSource.Every)
        {
            return organizations.AllowsEvery(user) ? null
                : new(StatusCodes.Status403Forbidden,
                    "This operation is not limited to one organization: only callers that may act for every organization ('*') may call it.");
        }

        Guid organization;
        if (source == OrganizationSource.Query)
        {
            if (EttRequest.OrganizationOf(http.Request.QueryString.Value) is not { } named || named == Guid.Empty)
                return new(StatusCodes.Status400BadRequest, $"Give {OrganizationParameter} exactly once, as a non-empty GUID.");
            organization = named;
        }
        else if (http.GetRouteValue(OrganizationParameter) is not { } routeValue) return null;
        else if (!Guid.TryParse(routeValue.ToString(), out organization))
            return new(StatusCodes.Status400BadRequest, $"{OrganizationParameter} must be a GUID.");

        return organizations.Allows(user, organization) ? null
            : new(StatusCodes.Status403Forbidden, $"The caller may not act for organization {organization}.");
    }

    /// <summary>A refusal: 403, or 400 for an unusable organizationId, with what is missing.</summary>
    public readonly record struct Refusal(int Status, string Detail);
}

/// <summary>Writes a refusal as ProblemDetails naming what is missing; challenges (401) keep the default handling.</summary>
internal sealed class AccessRefusalWriter(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler standard = new();

    /// <summary>Not async: a request that may go on does so without a state machine of its own.</summary>
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult) =>
        !authorizeResult.Forbidden || authorizeResult.AuthorizationFailure?.FailureReasons.OfType<AccessRefusal>().FirstOrDefault() is not { } refusal
            ? standard.HandleAsync(next, context, policy, authorizeResult)
            : RefuseAsync(context, refusal);

    private async Task RefuseAsync(HttpContext context, AccessRefusal refusal)
    {
        ProblemDetails problem = refusal.Status == StatusCodes.Status400BadRequest
            ? new HttpValidationProblemDetails(new Dictionary<string, string[]> { [EttPermissionHandler.OrganizationParameter] = [refusal.Message] })
            {
                Type = ProblemTypes.Validation, Title = "The request is invalid",
            }
            : new ProblemDetails { Type = ProblemTypes.Forbidden, Title = "Forbidden" };
        problem.Status = refusal.Status;
        problem.Detail = refusal.Message;
        context.Response.StatusCode = refusal.Status;
        await problems.WriteAsync(new() { HttpContext = context, ProblemDetails = problem });
    }
}
