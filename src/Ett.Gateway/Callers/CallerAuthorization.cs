using System.Runtime.CompilerServices;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Ett.Gateway.Callers;

/// <summary>
/// ASP.NET Core's authorization middleware, letting a granted request through itself: for an endpoint whose one policy
/// is a permission of <see cref="CallerPolicies"/> (an authenticated caller plus <see cref="EttPermissionRequirement"/>),
/// the framework would make a request scope for its policy evaluator, a handler context with its pending set, an
/// enumerator per handler and three layers of tasks, only to ask <see cref="EttPermissionHandler"/> the same question.
/// Here that handler's answer is asked directly, and only a yes is taken: anything else — a refusal, no authenticated
/// caller, another policy or none, anonymous endpoints — goes through the framework's middleware, which decides and
/// answers as before. The shortcut is off when the authorization services are not the ones
/// <see cref="CallerPolicies.AddCallerAccess"/> registered, or another handler could judge the permission's requirements.
/// </summary>
internal sealed class CallerAuthorization
{
    // The key AuthorizationMiddleware sets; EndpointMiddleware refuses an endpoint with authorization metadata without it.
    internal const string EndpointInvoked = "__AuthorizationMiddlewareWithEndpointInvoked";
    internal static readonly object Granted = new();

    private readonly RequestDelegate _next;
    private readonly AuthorizationMiddleware _framework;
    private readonly IAuthorizationPolicyProvider _policies;
    private readonly EttPermissionHandler? _permissions;
    // "" for an endpoint that goes the framework's way.
    private readonly ConditionalWeakTable<Endpoint, string> _permissionOf = new();

    public CallerAuthorization(RequestDelegate next, IServiceProvider services, IAuthorizationPolicyProvider policies)
    {
        _next = next;
        _framework = ActivatorUtilities.CreateInstance<AuthorizationMiddleware>(services, next);
        _policies = policies;
        _permissions = OnlyOurs(services) ? services.GetRequiredService<EttPermissionHandler>() : null;
    }

    public Task Invoke(HttpContext context)
    {
        if (_permissions is null || context.GetEndpoint() is not { } endpoint || PermissionOf(endpoint) is not { } permission ||
            !IsAuthenticated(context.User) || _permissions.RefusalOf(context.User, context, permission) is not null)
            return _framework.Invoke(context);
        context.Items[EndpointInvoked] = Granted;
        return _next(context);
    }

    // DenyAnonymousAuthorizationRequirement's rule.
    private static bool IsAuthenticated(ClaimsPrincipal user)
    {
        foreach (var identity in user.Identities)
        {
            if (identity.IsAuthenticated) return true;
        }
        return false;
    }

    /// <summary>The permission an endpoint's policy is exactly, or null for the framework's way; found once per endpoint.</summary>
    private string? PermissionOf(Endpoint endpoint)
    {
        if (!_permissionOf.TryGetValue(endpoint, out var known)) known = _permissionOf.GetValue(endpoint, e => ReadPermission(e) ?? "");
        return known.Length == 0 ? null : known;
    }

    private string? ReadPermission(Endpoint endpoint)
    {
        var metadata = endpoint.Metadata;
        if (metadata.GetMetadata<IAllowAnonymous>() is not null || metadata.GetOrderedMetadata<AuthorizationPolicy>().Count > 0 ||
            metadata.GetOrderedMetadata<IAuthorizeData>() is not [{ Policy: { } name, Roles: null, AuthenticationSchemes: null } data] ||
            data is IAuthorizationRequirementData || !CallerPolicies.All.Contains(name))
            return null;
        var policy = _policies.GetPolicyAsync(name);
        return policy.IsCompletedSuccessfully && policy.Result is { AuthenticationSchemes.Count: 0, Requirements: { Count: 2 } requirements } &&
               requirements.Any(r => r is DenyAnonymousAuthorizationRequirement) &&
               requirements.Any(r => r is EttPermissionRequirement p && p.Permission == name)
            ? name
            : null;
    }

    /// <summary>
    /// Whether the framework, given a permission's policy, could come to no other answer than the permission handler's:
    /// the services <see cref="CallerPolicies.AddCallerAccess"/> registered, HttpContext as the resource, and every
    /// other handler one that by its type only looks at requirements of another type.
    /// </summary>
    private static bool OnlyOurs(IServiceProvider services)
    {
        if (AppContext.TryGetSwitch("Microsoft.AspNetCore.Authorization.SuppressUseHttpContextAsAuthorizationResource", out var endpointAsResource) &&
            endpointAsResource)
            return false;
        using var scope = services.CreateScope();
        var provider = scope.ServiceProvider;
        return provider.GetService<IPolicyEvaluator>()?.GetType() == typeof(PolicyEvaluator) &&
               provider.GetService<IAuthorizationService>()?.GetType() == typeof(DefaultAuthorizationService) &&
               provider.GetService<IAuthorizationEvaluator>()?.GetType() == typeof(DefaultAuthorizationEvaluator) &&
               provider.GetService<IAuthorizationHandlerProvider>()?.GetType() == typeof(DefaultAuthorizationHandlerProvider) &&
               provider.GetService<IAuthorizationMiddlewareResultHandler>()?.GetType() == typeof(AccessRefusalWriter) &&
               provider.GetServices<IAuthorizationHandler>().All(h => h is EttPermissionHandler or PassThroughAuthorizationHandler || JudgesOnlyOthers(h));
    }

    /// <summary>An <c>AuthorizationHandler&lt;T&gt;</c> (or with a resource) that keeps the base class's loop over requirements of type T.</summary>
    private static bool JudgesOnlyOthers(IAuthorizationHandler handler)
    {
        for (var type = handler.GetType(); type.BaseType is { } baseType; type = baseType)
        {
            if (!baseType.IsGenericType) continue;
            var definition = baseType.GetGenericTypeDefinition();
            if (definition != typeof(AuthorizationHandler<>) && definition != typeof(AuthorizationHandler<,>)) continue;
            var judged = baseType.GetGenericArguments()[0];
            var handle = handler.GetType().GetMethod(nameof(IAuthorizationHandler.HandleAsync), [typeof(AuthorizationHandlerContext)]);
            return handle?.DeclaringType == baseType &&
                   !judged.IsAssignableFrom(typeof(EttPermissionRequirement)) && !judged.IsAssignableFrom(typeof(DenyAnonymousAuthorizationRequirement));
        }
        return false;
    }
}

internal static class CallerAuthorizationExtensions
{
    // The key UseAuthorization sets; without it WebApplication puts the framework's middleware in front of the pipeline.
    private const string AuthorizationMiddlewareSet = "__AuthorizationMiddlewareSet";

    /// <summary>In place of <c>UseAuthorization</c>: the same, with granted permission checks answered first.</summary>
    public static IApplicationBuilder UseCallerAuthorization(this IApplicationBuilder app)
    {
        app.Properties[AuthorizationMiddlewareSet] = true;
        return app.UseMiddleware<CallerAuthorization>();
    }
}
