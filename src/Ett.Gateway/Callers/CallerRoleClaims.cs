using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Ett.Gateway.Callers;

/// <summary>
/// Copies the roles found at <see cref="CallerOptions.RoleClaims"/> (e.g. Keycloak's <c>realm_access.roles</c>) into
/// top-level <c>roles</c> claims once a caller token is validated, so permission checks read one claim whichever
/// identity provider issued the token.
/// </summary>
internal sealed class CallerRoleClaims(IOptions<CallerOptions> callers) : IPostConfigureOptions<JwtBearerOptions>
{
    public const string RolesClaim = "roles";

    public void PostConfigure(string? name, JwtBearerOptions options)
    {
        var paths = callers.Value.RoleClaims;
        if (paths.Count == 0) return;
        options.Events ??= new JwtBearerEvents();
        var next = options.Events.OnTokenValidated;
        options.Events.OnTokenValidated = async context =>
        {
            if (context.SecurityToken is JsonWebToken token && context.Principal?.Identity is ClaimsIdentity identity)
            {
                foreach (var role in paths.SelectMany(path => RolesAt(token, path)).Distinct(StringComparer.Ordinal))
                    identity.AddClaim(new Claim(RolesClaim, role));
            }
            await next(context);
        };
    }

    /// <summary>
    /// The strings at a dotted path. A claim whose own name contains dots (Auth0's <c>https://example.com/roles</c>) is
    /// matched whole first; otherwise the longest leading run of segments that names a claim, then nested members.
    /// </summary>
    internal static IEnumerable<string> RolesAt(JsonWebToken token, string path)
    {
        var segments = path.Split('.');
        for (var claimSegments = segments.Length; claimSegments > 0; claimSegments--)
        {
            var claim = string.Join('.', segments[..claimSegments]);
            if (!token.TryGetPayloadValue<JsonElement>(claim, out var value))
            {
                if (claimSegments == segments.Length && token.TryGetPayloadValue<string[]>(claim, out var values)) return values;
                continue;
            }
            foreach (var member in segments[claimSegments..])
            {
                if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(member, out value)) return [];
            }
            return value.ValueKind switch
            {
                JsonValueKind.String => [value.GetString()!],
                JsonValueKind.Array => value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToArray(),
                _ => [],
            };
        }
        return [];
    }
}
