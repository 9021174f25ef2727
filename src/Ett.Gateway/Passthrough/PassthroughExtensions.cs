namespace Ett.Gateway.Passthrough;

public static class PassthroughExtensions
{
    public static IServiceCollection AddPassthrough(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapPassthrough(this IEndpointRouteBuilder app) => app;
}
