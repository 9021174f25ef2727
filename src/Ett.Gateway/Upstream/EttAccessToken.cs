using System.Runtime.CompilerServices;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Ett.Gateway.Upstream;

/// <summary>An ETT access token for one configured client. <see cref="ToString"/> never reveals the value.</summary>
public sealed record EttAccessToken(string ClientName, string Value, DateTimeOffset ObtainedAt, DateTimeOffset ExpiresAt, IReadOnlySet<Guid>? OrganizationIds, Guid? OwnOrganizationId)
{
    /// <summary>
    /// Whether the token covers an organization. ETT freezes consents into the token's <c>org_ids</c> at issue time,
    /// and always allows the client's own organization. Unknown (opaque token) counts as covered.
    /// </summary>
    public bool Covers(Guid organizationId) =>
        OrganizationIds is null || OrganizationIds.Contains(organizationId) || OwnOrganizationId == organizationId;

    /// <summary>When the token arrived, among the gateway's reads from ETT (<see cref="EttReadOrder"/>).</summary>
    public long ReadOrder { get; init; }

    public override string ToString() => $"ETT token for {ClientName}, expires {ExpiresAt:O}";

    // By reference: a token made with `with` gets its own. Not a member, so records stay equal by their values.
    private static readonly ConditionalWeakTable<EttAccessToken, string> Headers = new();

    /// <summary>
    /// <c>Bearer {Value}</c>, made once per token for every request it goes on (as a parsed header, HttpClient wrote the
    /// token out again into a new string per request).
    /// </summary>
    internal string AuthorizationHeader => Headers.GetValue(this, static token => "Bearer " + token.Value);

    /// <summary>Reads ETT's claims (<c>org_ids</c> space-separated, <c>org_id</c>) without validating: ETT validates its own token.</summary>
    public static (IReadOnlySet<Guid>? OrganizationIds, Guid? OwnOrganizationId) ReadOrganizations(string accessToken)
    {
        var handler = new JsonWebTokenHandler();
        if (!handler.CanReadToken(accessToken)) return (null, null);
        var jwt = handler.ReadJsonWebToken(accessToken);
        Guid? own = jwt.TryGetPayloadValue<string>("org_id", out var orgId) && Guid.TryParse(orgId, out var parsed) ? parsed : null;
        if (!jwt.TryGetPayloadValue<string>("org_ids", out var orgIds)) return (new HashSet<Guid>(), own);
        var ids = orgIds.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(id => Guid.TryParse(id, out var g) ? g : Guid.Empty)
            .Where(g => g != Guid.Empty)
            .ToHashSet();
        return (ids, own);
    }
}
