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
    public ValueTask<EttAccessToken> ForRequestAsync(string? clientName, Guid? organizationId, CancellationToken cancellationToken)
    {
        // Every proxied request asks: answered without an async frame when the client is known without consents (named,
        // or the only one) and its token is held, fresh and covers the organization.
        if ((clientName ?? SoleClient) is { } client && tokens.GetAsync(client, cancellationToken) is { IsCompletedSuccessfully: true } held
            && (organizationId is not { } covered || held.Result.Covers(covered)))
            return held;
        return ChooseAsync(clientName, organizationId, cancellationToken);
    }

    private async ValueTask<EttAccessToken> ChooseAsync(string? clientName, Guid? organizationId, CancellationToken cancellationToken)
    {
        clientName ??= organizationId is { } org ? await ClientForAsync(org, cancellationToken) : DefaultClient;
        var token = await tokens.GetAsync(clientName, cancellationToken);
        return organizationId is { } organization && await IsStaleForAsync(token, organization, cancellationToken)
            ? await tokens.RenewAsync(token, cancellationToken)
            : token;
    }

    /// <summary>
    /// Whether a new token would cover an organization this one lacks — the only case in which renewing helps, before a
    /// request or after ETT's 403. ETT freezes consents into the token's <c>org_ids</c> at issue time, so a consent
    /// listed by a consent list requested after the token arrived may be missing from it. A token that already covers the
    /// organization is never renewed: ETT's 403 is then about something else (a contract it refuses, a wallet it does
    /// not own), and renewing would let any caller turn each refused request into a token request.
    /// </summary>
    public async ValueTask<bool> IsStaleForAsync(EttAccessToken token, Guid organizationId, CancellationToken cancellationToken)
    {
        if (token.Covers(organizationId)) return false;
        var consentList = await consents.IncludingAsync(token.ClientName, organizationId, cancellationToken);
        return consentList.Includes(organizationId) && consentList.ReadOrder > token.ReadOrder;
    }

    public Task<EttAccessToken> RenewAsync(EttAccessToken stale, CancellationToken cancellationToken) =>
        tokens.RenewAsync(stale, cancellationToken);

    /// <summary>Forgets a token ETT refused, so the next request fetches a new one.</summary>
    public void Drop(EttAccessToken stale) => tokens.Drop(stale);

    /// <summary>The configured client that serves an organization (the first one when none has its consent).</summary>
    public async ValueTask<string> ClientForAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        if (SoleClient is { } sole) return sole;
        var clients = options.CurrentValue.EffectiveClients;
        for (var i = 0; i < clients.Count; i++)
        {
            if ((await consents.GetAsync(clients[i].Name, cancellationToken)).Includes(organizationId)) return clients[i].Name;
        }
        return DefaultClient;
    }

    public string DefaultClient => options.CurrentValue.EffectiveClients.FirstOrDefault()?.Name ?? "default";

    /// <summary>The client when only one is configured: no organization's consents need asking.</summary>
    private string? SoleClient => options.CurrentValue.EffectiveClients.Count <= 1 ? DefaultClient : null;
}
