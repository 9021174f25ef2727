namespace Ett.Gateway.Upstream;

public static class UpstreamExtensions
{
    public static IServiceCollection AddUpstream(this IServiceCollection services, IConfiguration configuration) => services;
}
