using System.Runtime.CompilerServices;
using System.Security.Claims;

namespace Ett.Gateway.Callers;

/// <summary>What an authenticated caller's token says about it, whichever identity provider issued it.</summary>
public static class Caller
{
    /// <summary>The role that grants every permission but <see cref="CallerPolicies.Admin"/>.</summary>
    public const string WriteRole = "Ett.Write";

    private static readonly string[] IdClaims = ["azp", "appid", "client_id", "sub", ClaimTypes.NameIdentifier];
    private static readonly string[] RoleClaims = ["roles", "role", ClaimTypes.Role];
    private static readonly string[] ScopeClaims = ["scp", "scope", "http://schemas.microsoft.com/identity/claims/scope"];
    private static readonly string[] GroupClaims = ["groups", "group"];

    /// <summary>The calling application: Entra's <c>azp</c>/<c>appid</c>, a generic issuer's <c>client_id</c>, else <c>sub</c>.</summary>
    public static string? IdOf(ClaimsPrincipal user) => FactsOf(user).Id;

    /// <summary>The caller's app roles. The one place roles are read: identity-provider specific claim paths belong here.</summary>
    public static IEnumerable<string> RolesOf(ClaimsPrincipal user) =>
        user.Claims.Where(c => RoleClaims.Contains(c.Type)).Select(c => c.Value);

    /// <summary>The caller's OAuth scopes (space-separated in one claim, or one per claim).</summary>
    public static IEnumerable<string> ScopesOf(ClaimsPrincipal user) =>
        user.Claims.Where(c => ScopeClaims.Contains(c.Type)).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The caller's group ids or names (Entra's <c>groups</c>), for organization access granted by group.</summary>
    public static IEnumerable<string> GroupsOf(ClaimsPrincipal user) =>
        user.Claims.Where(c => GroupClaims.Contains(c.Type)).Select(c => c.Value);

    /// <summary>
    /// Whether the caller holds <paramref name="permission"/> (one of <see cref="CallerPolicies.All"/>) as app role or as
    /// its lowercase scope. <c>Ett.Write</c> grants every permission but admin; every permission includes reading.
    /// </summary>
    public static bool Holds(ClaimsPrincipal user, string permission)
    {
        var granted = GrantedTo(user);
        if (granted.Contains(permission)) return true;
        if (permission != CallerPolicies.Admin && granted.Contains(WriteRole)) return true;
        return permission == CallerPolicies.Read && CallerPolicies.All.Any(granted.Contains);
    }

    /// <summary>The caller's roles and scopes, as <see cref="Holds"/> reads them.</summary>
    internal static IReadOnlySet<string> GrantedTo(ClaimsPrincipal user) => FactsOf(user).Granted;

    /// <summary>
    /// What the checks of every request read, taken from the claims once per principal: nothing changes a principal
    /// after authentication, and a cached caller token's principal serves all of its requests (<see cref="ValidatedCallerTokens"/>).
    /// </summary>
    private static Facts FactsOf(ClaimsPrincipal user) => Read.GetValue(user, static u => new Facts(
        IdClaims.Select(type => u.FindFirst(type)?.Value).FirstOrDefault(v => !string.IsNullOrEmpty(v)),
        RolesOf(u).Concat(ScopesOf(u)).ToHashSet(StringComparer.OrdinalIgnoreCase)));

    private sealed record Facts(string? Id, IReadOnlySet<string> Granted);

    private static readonly ConditionalWeakTable<ClaimsPrincipal, Facts> Read = new();
}
