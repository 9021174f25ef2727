using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Gateway.Callers;

/// <summary>
/// Checks a caller token's lifetime on the gateway's <see cref="TimeProvider"/> with <c>Callers:ClockSkew</c>, for the
/// generic issuer and Entra ID alike: IdentityModel's own check reads the wall clock, so the gateway would run on two clocks.
/// </summary>
internal sealed class CallerTokenLifetime(TimeProvider time, IOptions<CallerOptions> callers) : IPostConfigureOptions<JwtBearerOptions>
{
    public void PostConfigure(string? name, JwtBearerOptions options)
    {
        options.TokenValidationParameters.ValidateLifetime = true;
        options.TokenValidationParameters.RequireExpirationTime = true;
        options.TokenValidationParameters.ClockSkew = callers.Value.ClockSkew;
        options.TokenValidationParameters.LifetimeValidator = IsCurrent;
    }

    private bool IsCurrent(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        if (expires is null) return false;
        var now = time.GetUtcNow().UtcDateTime;
        var skew = parameters.ClockSkew;
        return (notBefore is null || notBefore.Value <= now + skew) && expires.Value > now - skew;
    }
}
