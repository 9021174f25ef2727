using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Gateway.Callers;

/// <summary>
/// The caller issuer's discovery document and signing keys, re-read on the gateway's <see cref="TimeProvider"/>: every
/// <see cref="CallerOptions.KeyAutomaticRefreshInterval"/> (so a key the issuer removed stops working), and when a token
/// names a key the gateway does not hold, at most once per <see cref="CallerOptions.KeyRefreshInterval"/> (so a rotated
/// key works within that interval). The throttle is shared by all tokens, which bounds what junk tokens can do: they can
/// make the gateway re-read the keys once per interval, no more often, and cannot keep it from doing so.
/// IdentityModel's own ConfigurationManager reads the wall clock and refreshes in the background; this one does neither.
/// </summary>
public sealed class CallerSigningKeys(TimeProvider time, IOptions<CallerOptions> callers, ILogger<CallerSigningKeys> logger)
    : BaseConfigurationManager, IConfigurationManager<OpenIdConnectConfiguration>
{
    private readonly Lock _gate = new();
    private IDocumentRetriever? _documents;
    private Snapshot? _current;
    private Task<Snapshot>? _pending;
    private bool _refreshRequested;
    private CancellationTokenSource _changed = new();

    private sealed record Snapshot(OpenIdConnectConfiguration Configuration, DateTimeOffset ReadAt, DateTimeOffset RefreshAfter)
    {
        /// <summary>The configuration as a finished task, so the cached token check of every request allocates none.</summary>
        public Task<OpenIdConnectConfiguration> Read { get; } = Task.FromResult(Configuration);
    }

    /// <summary>
    /// Increases whenever a re-read finds a different set of signing keys. Anything that caches a caller token's
    /// validation (e.g. a validated-token cache) must forget it when this changes, or use <see cref="GetChangeToken"/>.
    /// </summary>
    public long Version { get; private set; }

    /// <summary>Fires once, when the signing keys next change (e.g. for <c>ICacheEntry.AddExpirationToken</c>).</summary>
    public IChangeToken GetChangeToken()
    {
        lock (_gate) return new CancellationChangeToken(_changed.Token);
    }

    /// <summary>Where the discovery document lives and how to fetch it: the JwtBearer scheme's address and backchannel.</summary>
    internal void ReadFrom(string metadataAddress, IDocumentRetriever documents)
    {
        MetadataAddress = metadataAddress;
        _documents = documents;
        // Last-known-good would keep validating with a key the issuer removed, for an hour of wall-clock time.
        UseLastKnownGoodConfiguration = false;
    }

    public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        Task<Snapshot> pending;
        lock (_gate)
        {
            if (_current is { } current && !_refreshRequested && time.GetUtcNow() < current.RefreshAfter) return current.Read;
            _refreshRequested = false;
            pending = _pending ??= ReadAsync(_current);
        }
        return ConfigurationOfAsync(pending, cancel);
    }

    private static async Task<OpenIdConnectConfiguration> ConfigurationOfAsync(Task<Snapshot> pending, CancellationToken cancel) =>
        (await pending.WaitAsync(cancel)).Configuration;

    public override async Task<BaseConfiguration> GetBaseConfigurationAsync(CancellationToken cancel) =>
        await GetConfigurationAsync(cancel);

    /// <summary>A token named a key the gateway does not hold: re-read, unless the last read is younger than the refresh interval.</summary>
    public override void RequestRefresh()
    {
        lock (_gate)
        {
            if (_current is null || time.GetUtcNow() >= _current.ReadAt + callers.Value.KeyRefreshInterval) _refreshRequested = true;
        }
    }

    private async Task<Snapshot> ReadAsync(Snapshot? previous)
    {
        // Leave the lock before reading, so a synchronous failure cannot become the pending task.
        await Task.Yield();
        var readAt = time.GetUtcNow();
        var settings = callers.Value;
        Snapshot next;
        try
        {
            var configuration = await OpenIdConnectConfigurationRetriever.GetAsync(
                MetadataAddress ?? throw new InvalidOperationException("The caller issuer's metadata address is not set."),
                _documents ?? throw new InvalidOperationException("The caller issuer's document retriever is not set."),
                CancellationToken.None);
            next = new Snapshot(configuration, readAt, readAt + settings.KeyAutomaticRefreshInterval);
        }
        catch (Exception e) when (previous is not null)
        {
            // Keep the keys the gateway has, and try again after the refresh interval rather than at the next request.
            logger.LogWarning("Re-reading the caller issuer's signing keys from {MetadataAddress} failed: {Error}", MetadataAddress, e.Message);
            next = previous with { ReadAt = readAt, RefreshAfter = readAt + settings.KeyRefreshInterval };
        }
        catch
        {
            lock (_gate) _pending = null;
            throw;
        }

        CancellationTokenSource? changed = null;
        lock (_gate)
        {
            if (previous is not null && !SameKeys(previous.Configuration, next.Configuration))
            {
                Version++;
                changed = _changed;
                _changed = new CancellationTokenSource();
            }
            _current = next;
            _pending = null;
        }
        if (changed is not null)
        {
            logger.LogInformation("The caller issuer's signing keys changed (version {Version})", Version);
            await changed.CancelAsync();
            changed.Dispose();
        }
        return next;
    }

    private static bool SameKeys(OpenIdConnectConfiguration a, OpenIdConnectConfiguration b) =>
        Thumbprints(a).SequenceEqual(Thumbprints(b));

    private static IEnumerable<string> Thumbprints(OpenIdConnectConfiguration configuration) =>
        (configuration.JsonWebKeySet?.Keys ?? []).Select(Thumbprint).Order(StringComparer.Ordinal);

    private static string Thumbprint(JsonWebKey key) => $"{key.Kid}|{key.N}|{key.E}|{key.X}|{key.Y}|{key.K}|{string.Join(',', key.X5c)}";
}

/// <summary>Puts <see cref="CallerSigningKeys"/> behind the caller scheme, after JwtBearer (and Microsoft.Identity.Web) set it up.</summary>
internal sealed class CallerSigningKeysSetup(CallerSigningKeys keys) : IPostConfigureOptions<JwtBearerOptions>
{
    public void PostConfigure(string? name, JwtBearerOptions options)
    {
        if (name != JwtBearerDefaults.AuthenticationScheme || string.IsNullOrEmpty(options.MetadataAddress)) return;
        keys.ReadFrom(options.MetadataAddress, new HttpDocumentRetriever(options.Backchannel) { RequireHttps = options.RequireHttpsMetadata });
        options.ConfigurationManager = keys;
        options.RefreshOnIssuerKeyNotFound = true;
    }
}
