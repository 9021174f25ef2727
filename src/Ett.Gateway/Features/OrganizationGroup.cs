using Ett.Gateway.Errors;

namespace Ett.Gateway.Features;

/// <summary>The opening of every organization-scoped endpoint group, written once.</summary>
public static class OrganizationGroup
{
    /// <summary>A malformed id matches no route, so it never reaches a handler or ETT.</summary>
    public const string Route = "/organizations/{organizationId:guid}";

    /// <summary><c>/organizations/{organizationId:guid}{resource}</c>, refusing the all-zero organization id.</summary>
    public static RouteGroupBuilder MapOrganizationGroup(this IEndpointRouteBuilder app, string resource) =>
        app.MapGroup(Route + resource).RefuseAllZeroOrganization();

    /// <summary>The all-zero GUID matches <c>:guid</c> but names no organization: 400 naming the field, before any ETT call.</summary>
    public static TBuilder RefuseAllZeroOrganization<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
            context.HttpContext.GetRouteValue("organizationId") is { } value && Guid.TryParse(value.ToString(), out var id) && id == Guid.Empty
                ? TypedResults.ValidationProblem(
                    new Dictionary<string, string[]> { ["organizationId"] = ["Must be a non-empty GUID."] },
                    title: "The request is invalid", type: ProblemTypes.Validation)
                : await next(context));
}
