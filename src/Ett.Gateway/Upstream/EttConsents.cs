using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Upstream;

/// <summary>
/// The organizations that consented to each configured ETT client (ETT's <c>GET api/authorization/client/consents</c>),
/// cached for <see cref="EttOptions.ConsentsCacheDuration"/>. ETT reads consents live, unlike the token's frozen <c>org_ids</c>.
/// </summary>
public sealed class EttConsents(EttClient ett, IOptionsMonitor<EttOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, SingleFlight<ConsentList>> _caches = new(StringComparer.OrdinalIgnoreCase);

    public ValueTask<ConsentList> GetAsync(string clientName, CancellationToken cancellationToken) =>
        GetAsync(clientName, options.CurrentValue.ConsentsCacheDuration, cancellationToken);

    /// <summary>
    /// The client's consents, re-read when the cached list is older than <see cref="EttOptions.ConsentsRecheckAfter"/> and lacks the organization,
    /// which may have consented a moment ago. Concurrent callers still share one request.
    /// </summary>
    public async ValueTask<ConsentList> IncludingAsync(string clientName, Guid organizationId, CancellationToken cancellationToken)
    {
        var list = await GetAsync(clientName, cancellationToken);
        return list.Includes(organizationId) ? list : await GetAsync(clientName, options.CurrentValue.ConsentsRecheckAfter, cancellationToken);
    }

    private ValueTask<ConsentList> GetAsync(string clientName, TimeSpan maxAge, CancellationToken cancellationToken) =>
        _caches.GetOrAdd(clientName, static _ => new()).GetAsync(
            (Consents: this, ClientName: clientName, MaxAge: maxAge),
            static (list, state) => state.Consents.IsFresh(list, state.MaxAge),
            static state => state.Consents.FetchAsync(state.ClientName),
            cancellationToken);

    private bool IsFresh(ConsentList list, TimeSpan maxAge) => time.GetUtcNow() < list.FetchedAt + maxAge;

    private async Task<ConsentList> FetchAsync(string clientName)
    {
        var readOrder = EttReadOrder.Next();
        var fetchedAt = time.GetUtcNow();
        return new(clientName, await ett.GetConsentsAsync(clientName, CancellationToken.None), fetchedAt) { ReadOrder = readOrder };
    }
}

/// <summary>One organization that consented to a client, as ETT lists it.</summary>
public sealed record Consent(Guid OrganizationId, string? OrganizationName, string? Tin);

public sealed record ConsentList(string ClientName, IReadOnlyList<Consent> Consents, DateTimeOffset FetchedAt)
{
    /// <summary>When the list was requested, among the gateway's reads from ETT (<see cref="EttReadOrder"/>).</summary>
    public long ReadOrder { get; init; }

    public bool Includes(Guid organizationId)
    {
        // A loop, not Any: consulted on every proxied request that names an organization its token does not list.
        for (var i = 0; i < Consents.Count; i++)
        {
            if (Consents[i].OrganizationId == organizationId) return true;
        }
        return false;
    }
}
