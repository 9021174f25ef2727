using Microsoft.Extensions.Options;

namespace Ett.Gateway.Upstream;

/// <summary>
/// Decides which configured ETT client and token a request uses — the one source of truth for the typed client's
/// handler and the passthrough's transform.
/// </summary>
public sealed class EttCredentials(EttTokenProvider tokens, EttConsents consents, IOptionsMonitor<EttOptions> options)
{
    /// <summary>
    /// The token for a request: an explicitly named client, else the client whose consents include the organization,
    /// else the first configured client.
    /// </summary>
    public async Task<EttAccessToken> ForRequestAsync(string? clientName, Guid? organizationId, CancellationToken cancellationToken)
    {
        clientName ??= organizationId is { } org ? await ClientForAsync(org, cancellationToken) : DefaultClient;
        var token = await tokens.GetAsync(clientName, cancellationToken);
        if (organizationId is not { } organization || token.Covers(organization)) return token;

        // ETT freezes consents into the token's org_ids: an organization that consented after the token was issued
        // is refused until a new token is fetched. Renew once when the live consent list is newer than the token.
        var consentList = await consents.IncludingAsync(clientName, organization, cancellationToken);
        return consentList.Includes(organization) && consentList.FetchedAt >= token.ObtainedAt
            ? await tokens.RenewAsync(token, cancellationToken)
            : token;
    }

    /// <summary>Whether a 403 from ETT for this organization means the token is older than the client's consent.</summary>
    public async Task<bool> IsStaleForAsync(EttAccessToken token, Guid organizationId, CancellationToken cancellationToken) =>
        (await consents.IncludingAsync(token.ClientName, organizationId, cancellationToken)).Includes(organizationId);

    public Task<EttAccessToken> RenewAsync(EttAccessToken stale, CancellationToken cancellationToken) =>
        tokens.RenewAsync(stale, cancellationToken);

    /// <summary>Forgets a token ETT refused, so the next request fetches a new one.</summary>
    public void Drop(EttAccessToken stale) => tokens.Drop(stale);

    /// <summary>The configured client that serves an organization (the first one when none has its consent).</summary>
    public async Task<string> ClientForAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        var clients = options.CurrentValue.EffectiveClients;
        if (clients.Count <= 1) return DefaultClient;
        foreach (var client in clients)
        {
            if ((await consents.GetAsync(client.Name, cancellationToken)).Includes(organizationId)) return client.Name;
        }
        return DefaultClient;
    }

    public string DefaultClient => options.CurrentValue.EffectiveClients.FirstOrDefault()?.Name ?? "default";
}
