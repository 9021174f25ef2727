using System.Runtime.CompilerServices;
using System.Security.Claims;
using Ett.Gateway.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Callers;

/// <summary>
/// Which ETT organizations a caller may act for: the union of the <see cref="CallerOptions.Organizations"/> and
/// <see cref="CallerOptions.Access"/> entries it matches, else <see cref="CallerOptions.DefaultOrganizations"/>.
/// </summary>
public sealed class OrganizationAccess(IOptionsMonitor<CallerOptions> options)
{
    private const string All = "*";

    public bool Allows(ClaimsPrincipal user, Guid organizationId)
    {
        var entries = EntriesOf(user);
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i] == All || Matches(entries[i], organizationId)) return true;
        }
        return false;
    }

    /// <summary>Whether the caller may act for every organization (<c>*</c>), as organization-less ETT operations need.</summary>
    public bool AllowsEvery(ClaimsPrincipal user) => EntriesOf(user).Contains(All);

    /// <summary>The 403 for an organization named in a request body (e.g. <c>partnerOrganizationId</c>) the caller may not act for.</summary>
    public static ProblemHttpResult Refusal(Guid organizationId, string field) =>
        TypedResults.Problem($"The caller may not act for organization {organizationId} ({field}).",
            statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", type: ProblemTypes.Forbidden);

    internal static IEnumerable<string> Invalid(IEnumerable<string> organizations) =>
        organizations.Where(o => o != All && !Guid.TryParse(o, out _));

    private static bool Matches(string entry, Guid organizationId) => Guid.TryParse(entry, out var id) && id == organizationId;

    /// <summary>A principal's entries under the settings they were read with (a reload gives new settings).</summary>
    private readonly ConditionalWeakTable<ClaimsPrincipal, Resolved> _resolved = new();

    private sealed record Resolved(CallerOptions Settings, IReadOnlyList<string> Entries);

    /// <summary>The caller's entries, matched once per principal and settings: a cached caller token's principal serves all of its requests.</summary>
    private IReadOnlyList<string> EntriesOf(ClaimsPrincipal user)
    {
        var settings = options.CurrentValue;
        if (_resolved.TryGetValue(user, out var known) && ReferenceEquals(known.Settings, settings)) return known.Entries;
        var entries = Match(user, settings);
        _resolved.AddOrUpdate(user, new Resolved(settings, entries));
        return entries;
    }

    private static IReadOnlyList<string> Match(ClaimsPrincipal user, CallerOptions settings)
    {
        var id = Caller.IdOf(user);
        var roles = Caller.GrantedTo(user);
        var groups = Caller.GroupsOf(user).ToHashSet(StringComparer.OrdinalIgnoreCase);

        var matched = settings.Access.Where(entry =>
                (entry.Caller is { } caller && caller.Equals(id, StringComparison.OrdinalIgnoreCase)) ||
                (entry.Role is { } role && roles.Contains(role)) ||
                (entry.Group is { } group && groups.Contains(group)))
            .Select(entry => entry.Organizations)
            // The binder keeps the configured spelling of keys: compare them as Entra compares app ids, ignoring case.
            .Concat(settings.Organizations.Where(o => o.Key.Equals(id, StringComparison.OrdinalIgnoreCase)).Select(o => o.Value))
            .ToList();
        if (matched.Count == 0) return settings.DefaultOrganizations ?? [All];
        return [.. matched.SelectMany(list => list)];
    }
}

/// <summary>
/// The binder leaves a list configured as an empty value (<c>Callers__DefaultOrganizations=</c>) unset, which
/// would read as "all": an empty configured value means none.
/// </summary>
internal sealed class EmptyOrganizationLists(IConfiguration configuration) : IPostConfigureOptions<CallerOptions>
{
    public void PostConfigure(string? name, CallerOptions options)
    {
        var section = configuration.GetSection($"{CallerOptions.Section}:{nameof(CallerOptions.DefaultOrganizations)}");
        if (options.DefaultOrganizations is null && section.Value is "") options.DefaultOrganizations = [];
        foreach (var entry in configuration.GetSection($"{CallerOptions.Section}:{nameof(CallerOptions.Organizations)}").GetChildren())
        {
            if (entry.Value is "" && !options.Organizations.ContainsKey(entry.Key)) options.Organizations[entry.Key] = [];
        }
    }
}
