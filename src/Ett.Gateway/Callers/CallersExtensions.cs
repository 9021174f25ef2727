using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace Ett.Gateway.Callers;

public static class CallersExtensions
{
    /// <summary>
    /// Authenticates internal callers with the company's identity provider — Entra ID through Microsoft.Identity.Web
    /// when <c>AzureAd:ClientId</c> is set, otherwise any OIDC issuer at <c>Callers:Authority</c> — and closes every
    /// endpoint to anonymous callers unless it opts out.
    /// </summary>
    public static IServiceCollection AddCallers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CallerOptions>().Bind(configuration.GetSection(CallerOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CallerOptions>, CallerOptionsValidator>();

        if (UsesEntraId(configuration))
        {
            services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
                .AddMicrosoftIdentityWebApi(configuration.GetSection("AzureAd"));
        }
        else
        {
            services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
            services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
                .Configure<IOptions<CallerOptions>>((jwt, callers) => ConfigureGenericIssuer(jwt, callers.Value));
        }

        services.AddSingleton<IPostConfigureOptions<JwtBearerOptions>, CallerTokenLifetime>();
        services.AddCallerAccess();
        return services;
    }

    internal static bool UsesEntraId(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["AzureAd:ClientId"]);

    private static void ConfigureGenericIssuer(JwtBearerOptions jwt, CallerOptions callers)
    {
        jwt.Authority = callers.Authority;
        jwt.Audience = callers.Audience;
        jwt.RequireHttpsMetadata = callers.RequireHttpsMetadata;
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters.ValidateIssuer = true;
        jwt.TokenValidationParameters.ValidateAudience = true;
        jwt.TokenValidationParameters.ValidateIssuerSigningKey = true;
        jwt.TokenValidationParameters.RequireSignedTokens = true;
    }
}
