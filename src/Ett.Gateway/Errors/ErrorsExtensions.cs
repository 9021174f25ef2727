namespace Ett.Gateway.Errors;

public static class ErrorsExtensions
{
    public static IServiceCollection AddGatewayErrors(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions["traceId"] =
                System.Diagnostics.Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;
            if (context.HttpContext.Features.Get<Observability.CorrelationFeature>() is { } correlation)
                context.ProblemDetails.Extensions["correlationId"] = correlation.Id;
            // The framework's own 401/403 (authentication, authorization) get the gateway's stable types too.
            context.ProblemDetails.Type = context.ProblemDetails.Status switch
            {
                StatusCodes.Status401Unauthorized when IsFrameworkDefault(context.ProblemDetails.Type) => ProblemTypes.Unauthorized,
                StatusCodes.Status403Forbidden when IsFrameworkDefault(context.ProblemDetails.Type) => ProblemTypes.Forbidden,
                StatusCodes.Status404NotFound when IsFrameworkDefault(context.ProblemDetails.Type) => ProblemTypes.NotFound,
                // A body cut off at its limit while minimal APIs read it (Defaults/RequestLimits).
                StatusCodes.Status413PayloadTooLarge when IsFrameworkDefault(context.ProblemDetails.Type) => ProblemTypes.BodyTooLarge,
                _ => context.ProblemDetails.Type,
            };
        });
        services.AddExceptionHandler<GatewayProblemHandler>();
        // Binding failures throw in every environment (not only Development) so GatewayProblemHandler can turn them into
        // validation problems instead of an empty 400.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    private static bool IsFrameworkDefault(string? type) =>
        type is null || type.StartsWith("https://tools.ietf.org/html/rfc", StringComparison.Ordinal);
}
