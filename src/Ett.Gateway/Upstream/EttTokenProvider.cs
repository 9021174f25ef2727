using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Ett.Gateway.Errors;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Upstream;

/// <summary>
/// Obtains ETT access tokens with the OAuth2 client-credentials grant, one cache per configured client, renewed
/// <see cref="EttOptions.RefreshMargin"/> before expiry (at most half the token's lifetime) by exactly one request
/// however many callers wait.
/// </summary>
public sealed class EttTokenProvider(
    IHttpClientFactory httpClients,
    IOptionsMonitor<EttOptions> options,
    TimeProvider time,
    ILogger<EttTokenProvider> logger,
    IEttClientSecrets? secrets = null,
    Observability.GatewayMetrics? metrics = null)
{
    public const string HttpClientName = "ett-token";

    /// <summary>A token answer is a few KB; the token client buffers no more than this (a longer answer fails the request).</summary>
    public const int MaxAnswerBytes = 64 * 1024;

    private readonly ConcurrentDictionary<string, SingleFlight<EttAccessToken>> _caches = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _warnedShortLived = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _obtainedOnce = new(StringComparer.OrdinalIgnoreCase);

    public ValueTask<EttAccessToken> GetAsync(string clientName, CancellationToken cancellationToken) =>
        CacheOf(clientName).GetAsync(
            (Provider: this, ClientName: clientName),
            static (token, state) => state.Provider.IsFresh(token),
            static state => state.Provider.RequestAsync(state.ClientName),
            cancellationToken);

    private bool IsFresh(EttAccessToken token) => time.GetUtcNow() < token.ExpiresAt - EffectiveMargin(token, options.CurrentValue.RefreshMargin);

    /// <summary>
    /// The margin, but never more than half the token's lifetime: a token living no longer than the margin would
    /// otherwise be stale on arrival, and every request would fetch a new one.
    /// </summary>
    private static TimeSpan EffectiveMargin(EttAccessToken token, TimeSpan margin)
    {
        var half = (token.ExpiresAt - token.ObtainedAt) / 2;
        return margin < half ? margin : half;
    }

    /// <summary>Drops <paramref name="stale"/> and returns a fresh token; concurrent renewals of the same token share one request.</summary>
    public Task<EttAccessToken> RenewAsync(EttAccessToken stale, CancellationToken cancellationToken)
    {
        Drop(stale);
        return GetAsync(stale.ClientName, cancellationToken).AsTask();
    }

    /// <summary>True while a token of <paramref name="clientName"/> is held and not expired (readiness asks without requesting one).</summary>
    public bool Holds(string clientName) =>
        _caches.TryGetValue(clientName, out var cache) && cache.Current is { } token && time.GetUtcNow() < token.ExpiresAt;

    public void Drop(EttAccessToken stale) => CacheOf(stale.ClientName).Invalidate(stale);

    /// <summary>
    /// Obtains a token with a candidate secret, bypassing the cache: automatic rotation proves a new secret before it
    /// stores it. Throws as <see cref="GetAsync"/> does when ETT refuses it.
    /// </summary>
    public async Task<EttAccessToken> ProveAsync(string clientName, EttClientSecret candidate, CancellationToken cancellationToken)
    {
        var (settings, client) = Configured(clientName);
        return await RequestOnceAsync(settings, client, candidate).WaitAsync(cancellationToken);
    }

    /// <summary>Caches a token obtained with the client's new secret, so this instance switches to it at once.</summary>
    public void Install(EttAccessToken token) => CacheOf(token.ClientName).Replace(token);

    private SingleFlight<EttAccessToken> CacheOf(string clientName) => _caches.GetOrAdd(clientName, static _ => new());

    private async Task<EttAccessToken> RequestAsync(string clientName)
    {
        var renewal = _obtainedOnce.ContainsKey(clientName);
        try
        {
            var token = await RequestOnceAsync(clientName);
            _obtainedOnce.TryAdd(clientName, true);
            metrics?.TokenRequest(renewal, succeeded: true);
            return token;
        }
        catch
        {
            metrics?.TokenRequest(renewal, succeeded: false);
            throw;
        }
    }

    private async Task<EttAccessToken> RequestOnceAsync(string clientName)
    {
        var (settings, client) = Configured(clientName);
        if (secrets is null) return await RequestOnceAsync(settings, client, new EttClientSecret(client.ClientSecret, null));
        var secret = await secrets.CurrentAsync(client, reread: false, CancellationToken.None);
        try
        {
            return await RequestOnceAsync(settings, client, secret);
        }
        catch (GatewayProblemException refused) when (refused.Status == StatusCodes.Status502BadGateway && client.AutoRotate)
        {
            // Another instance may have rotated the secret and deleted the one this instance still held.
            var current = await secrets.CurrentAsync(client, reread: true, CancellationToken.None);
            if (current.Value == secret.Value) throw;
            logger.LogInformation("ETT refused the secret of client {EttClient}; retrying with the rotated one", client.Name);
            return await RequestOnceAsync(settings, client, current);
        }
    }

    private (EttOptions Settings, EttClientCredentials Client) Configured(string clientName)
    {
        var settings = options.CurrentValue;
        var client = settings.EffectiveClients.FirstOrDefault(c => c.Name.Equals(clientName, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"No ETT client named '{clientName}' is configured.");
        return (settings, client);
    }

    private async Task<EttAccessToken> RequestOnceAsync(EttOptions settings, EttClientCredentials client, EttClientSecret secret)
    {
        using var form = new FormUrlEncodedContent([
            new("grant_type", "client_credentials"),
            new("client_id", client.ClientId),
            new("client_secret", secret.Value),
            new("scope", settings.Scope),
        ]);

        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).PostAsync(settings.TokenUrl, form);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("ETT token request for client {EttClient} failed: {Error}", client.Name, e.GetType().Name);
            throw Unavailable(StatusCodes.Status503ServiceUnavailable, "The ETT token endpoint could not be reached.", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("ETT token request for client {EttClient} was refused with {Status}", client.Name, (int)response.StatusCode);
                throw Unavailable(StatusCodes.Status502BadGateway, $"The ETT token endpoint answered {(int)response.StatusCode}.");
            }

            var now = time.GetUtcNow();
            var token = Parse(client.Name, await response.Content.ReadAsStringAsync(), now) with { ReadOrder = EttReadOrder.Next() };
            logger.LogInformation("Obtained ETT token for client {EttClient}, valid until {ExpiresAt:O}", client.Name, token.ExpiresAt);
            WarnIfShortLived(token, settings.RefreshMargin);
            return token;
        }
    }

    private void WarnIfShortLived(EttAccessToken token, TimeSpan margin)
    {
        var lifetime = token.ExpiresAt - token.ObtainedAt;
        if (EffectiveMargin(token, margin) == margin || !_warnedShortLived.TryAdd(token.ClientName, true)) return;
        logger.LogWarning(
            "ETT tokens for client {EttClient} live {Lifetime}, not twice Ett:RefreshMargin ({RefreshMargin}): each is renewed after half its lifetime instead. Set Ett:RefreshMargin below half the token lifetime.",
            token.ClientName, lifetime, margin);
    }

    /// <summary>Lenient about number formats, strict about the two members a usable token needs.</summary>
    private static EttAccessToken Parse(string clientName, string body, DateTimeOffset now)
    {
        string? accessToken = null;
        double? expiresIn = null;
        try
        {
            using var json = JsonDocument.Parse(body);
            foreach (var member in json.RootElement.EnumerateObject())
            {
                if (member.NameEquals("access_token") && member.Value.ValueKind == JsonValueKind.String) accessToken = member.Value.GetString();
                if (member.NameEquals("expires_in")) expiresIn = member.Value.ValueKind switch
                {
                    JsonValueKind.Number => member.Value.GetDouble(),
                    JsonValueKind.String when double.TryParse(member.Value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) => s,
                    _ => null,
                };
            }
        }
        catch (JsonException)
        {
            throw Unavailable(StatusCodes.Status502BadGateway, "The ETT token endpoint answered with a body that is not JSON.");
        }

        if (string.IsNullOrEmpty(accessToken) || expiresIn is not > 0)
            throw Unavailable(StatusCodes.Status502BadGateway, "The ETT token endpoint answered without access_token or expires_in.");

        var (organizations, own) = EttAccessToken.ReadOrganizations(accessToken);
        return new EttAccessToken(clientName, accessToken, now, now.AddSeconds(expiresIn.Value), organizations, own);
    }

    private static GatewayProblemException Unavailable(int status, string detail, Exception? inner = null) =>
        new(status, ProblemTypes.UpstreamTokenUnavailable, "ETT access token unavailable", detail, inner);
}
