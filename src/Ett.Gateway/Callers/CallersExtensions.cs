using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace Ett.Gateway.Callers;

public static class CallersExtensions
{
    /// <summary>
    /// Authenticates internal callers with the company's identity provider — Entra ID through Microsoft.Identity.Web
    /// when any <c>AzureAd:*</c> key is set, otherwise any OIDC issuer at <c>Callers:Authority</c> — and closes every
    /// endpoint to anonymous callers unless it opts out.
    /// </summary>
    public static IServiceCollection AddCallers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CallerOptions>().Bind(configuration.GetSection(CallerOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CallerOptions>, CallerOptionsValidator>();
        services.AddSingleton<OrganizationAccess>();

        services.AddOptions<EntraIdOptions>().Bind(configuration.GetSection(EntraIdOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EntraIdOptions>, EntraIdOptionsValidator>();
        if (EntraIdOptions.IsConfigured(configuration))
        {
            services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
                .AddMicrosoftIdentityWebApi(configuration.GetSection(EntraIdOptions.Section));
            // A token without roles or scopes then reaches the permission check, whose 403 names what is missing,
            // instead of Microsoft.Identity.Web's unexplained 401; the tenant allow-list already bounds who gets in.
            services.Configure<MicrosoftIdentityOptions>(JwtBearerDefaults.AuthenticationScheme, o => o.AllowWebApiToBeAuthorizedByACL = true);
            services.AddSingleton<IPostConfigureOptions<JwtBearerOptions>, EntraIdTokens>();
        }
        else
        {
            services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
            services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
                .Configure<IOptions<CallerOptions>>((jwt, callers) => ConfigureGenericIssuer(jwt, callers.Value));
        }

        services.AddSingleton<IPostConfigureOptions<JwtBearerOptions>, CallerTokenLifetime>();
        services.AddSingleton<CallerSigningKeys>();
        services.AddSingleton<IPostConfigureOptions<JwtBearerOptions>, CallerSigningKeysSetup>();
        services.AddSingleton<IPostConfigureOptions<JwtBearerOptions>, CallerRoleClaims>();
        services.AddValidatedCallerTokenCache(); // last: it wraps the token handlers the settings above configured
        services.AddSingleton<IAuthorizationHandler, EttPermissionHandler>();
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(CallerPolicies.Read, p => p.RequireAuthenticatedUser().AddRequirements(new EttPermissionRequirement(Permission.Read)))
            .AddPolicy(CallerPolicies.Write, p => p.RequireAuthenticatedUser().AddRequirements(new EttPermissionRequirement(Permission.Write)))
            .AddPolicy(CallerPolicies.ByMethod, p => p.RequireAuthenticatedUser().AddRequirements(new EttPermissionRequirement(Permission.ByMethod)));
        return services;
    }

    private static void ConfigureGenericIssuer(JwtBearerOptions jwt, CallerOptions callers)
    {
        jwt.Authority = callers.Authority;
        jwt.TokenValidationParameters.ValidAudiences = new[] { callers.Audience }.Concat(callers.Audiences).OfType<string>().Distinct().ToArray();
        jwt.RequireHttpsMetadata = callers.RequireHttpsMetadata;
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters.ValidateIssuer = true;
        jwt.TokenValidationParameters.ValidateAudience = true;
        jwt.TokenValidationParameters.ValidateIssuerSigningKey = true;
        jwt.TokenValidationParameters.RequireSignedTokens = true;
    }
}
