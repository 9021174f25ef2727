using System.Security.Claims;

namespace Ett.Gateway.Callers;

/// <summary>What an authenticated caller's token says about it, whichever identity provider issued it.</summary>
public static class Caller
{
    public const string ReadRole = "Ett.Read";
    public const string WriteRole = "Ett.Write";
    public const string ReadScope = "ett.read";
    public const string WriteScope = "ett.write";

    private static readonly string[] IdClaims = ["azp", "appid", "client_id", "sub", ClaimTypes.NameIdentifier];
    private static readonly string[] RoleClaims = ["roles", "role", ClaimTypes.Role];
    private static readonly string[] ScopeClaims = ["scp", "scope", "http://schemas.microsoft.com/identity/claims/scope"];

    /// <summary>The calling application: Entra's <c>azp</c>/<c>appid</c>, a generic issuer's <c>client_id</c>, else <c>sub</c>.</summary>
    public static string? IdOf(ClaimsPrincipal user) =>
        IdClaims.Select(type => user.FindFirst(type)?.Value).FirstOrDefault(v => !string.IsNullOrEmpty(v));

    public static bool MayRead(ClaimsPrincipal user) => Has(user, ReadRole, ReadScope) || MayWrite(user);

    public static bool MayWrite(ClaimsPrincipal user) => Has(user, WriteRole, WriteScope);

    private static bool Has(ClaimsPrincipal user, string role, string scope) =>
        user.Claims.Any(c =>
            (RoleClaims.Contains(c.Type) && c.Value.Equals(role, StringComparison.OrdinalIgnoreCase)) ||
            (ScopeClaims.Contains(c.Type) && c.Value.Split(' ').Contains(scope, StringComparer.OrdinalIgnoreCase)));
}
