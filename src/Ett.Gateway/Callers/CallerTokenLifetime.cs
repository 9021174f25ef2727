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
        options.TokenValidationParameters.LifetimeValidator = On(time);
    }

    /// <summary>IdentityModel's lifetime rules (and exceptions) with "now" taken from <paramref name="time"/>.</summary>
    internal static LifetimeValidator On(TimeProvider time) => (notBefore, expires, token, parameters) =>
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (expires is null)
            throw new SecurityTokenNoExpirationException("The caller token has no expiration time.");
        if (notBefore > now + parameters.ClockSkew)
            throw new SecurityTokenNotYetValidException($"The caller token is not valid before {notBefore:O}.") { NotBefore = notBefore.Value };
        if (expires.Value < now - parameters.ClockSkew)
            throw new SecurityTokenExpiredException($"The caller token expired at {expires:O}.") { Expires = expires.Value };
        return true;
    };
}
