namespace Ett.Gateway.Callers;

public static class CallersExtensions
{
    public static IServiceCollection AddCallers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAuthentication();
        services.AddAuthorization();
        return services;
    }
}
