namespace Ett.Gateway.Errors;

public static class ErrorsExtensions
{
    public static IServiceCollection AddGatewayErrors(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions["traceId"] =
                System.Diagnostics.Activity.Current?.Id ?? context.HttpContext.TraceIdentifier);
        services.AddExceptionHandler<GatewayProblemHandler>();
        return services;
    }
}
