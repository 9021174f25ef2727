using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Upstream;

/// <summary>
/// The organizations that consented to each configured ETT client (ETT's <c>GET api/authorization/client/consents</c>),
/// cached for <see cref="EttOptions.ConsentsCacheDuration"/>. ETT reads consents live, unlike the token's frozen <c>org_ids</c>.
/// </summary>
public sealed class EttConsents(IHttpClientFactory httpClients, IOptionsMonitor<EttOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, SingleFlight<ConsentList>> _caches = new(StringComparer.OrdinalIgnoreCase);

    public Task<ConsentList> GetAsync(string clientName, CancellationToken cancellationToken) =>
        _caches.GetOrAdd(clientName, _ => new()).GetAsync(
            list => time.GetUtcNow() < list.FetchedAt + options.CurrentValue.ConsentsCacheDuration,
            () => FetchAsync(clientName),
            cancellationToken);

    private async Task<ConsentList> FetchAsync(string clientName)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/authorization/client/consents");
        request.Options.Set(EttRequest.ClientName, clientName);
        using var response = await httpClients.CreateClient(EttRequest.HttpClientName).SendAsync(request);
        await EttRequest.EnsureSuccessAsync(response, CancellationToken.None);
        var body = await response.Content.ReadFromJsonAsync<ConsentsResponse>(EttRequest.Json);
        return new ConsentList(clientName, body?.Result ?? [], time.GetUtcNow());
    }

    private sealed record ConsentsResponse([property: JsonPropertyName("result")] IReadOnlyList<Consent>? Result);
}

/// <summary>One organization that consented to a client, as ETT lists it.</summary>
public sealed record Consent(Guid OrganizationId, string? OrganizationName, string? Tin);

public sealed record ConsentList(string ClientName, IReadOnlyList<Consent> Consents, DateTimeOffset FetchedAt)
{
    public bool Includes(Guid organizationId) => Consents.Any(c => c.OrganizationId == organizationId);
}
