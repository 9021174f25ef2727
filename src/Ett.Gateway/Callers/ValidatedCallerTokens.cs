using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Gateway.Callers;

/// <summary>
/// Caller tokens that already passed full validation and JwtBearer's <c>TokenValidated</c> event, so a caller's next
/// request with the same token costs a lookup instead of an RSA signature check and JwtBearer's per-request plumbing
/// (Envoy's JWT filter keeps the same kind of cache). An entry is keyed by the SHA-256 of the token — a changed byte is
/// another key, so a tampered token never matches — and is used only while
/// <list type="bullet">
/// <item>the token has not reached its <c>exp</c> on the gateway's <see cref="TimeProvider"/> (full validation decides after that),</item>
/// <item>the key that verified its signature is still one of the signing keys validation would use (a rotated-out key
/// ends its tokens' entries as soon as the issuer's keys are re-read), and</item>
/// <item>the caller issuer's signing keys have not changed since (<see cref="CallerSigningKeys.GetChangeToken"/> clears the cache).</item>
/// </list>
/// The entry holds the principal as the events left it, shared by the token's requests: nothing after authentication
/// changes a principal. At most <see cref="MaxEntries"/> tokens of at most <see cref="MaxTokenLength"/> characters are
/// held (about 10 MB); when full, expired entries go, and if that frees nothing, all of them.
/// </summary>
public sealed class ValidatedCallerTokens
{
    public const int MaxEntries = 10_000;
    public const int MaxTokenLength = 8 * 1024;

    private readonly ConcurrentDictionary<(string Scheme, TokenHash Hash), Entry> _entries = new();
    private readonly TimeProvider _time;

    // Kestrel gives a connection's requests the same string for the same header bytes: an Authorization header seen
    // before is not hashed again. Strings are immutable, so the same instance is the same token; an entry lives as
    // long as its string does.
    private readonly ConditionalWeakTable<string, StrongBox<TokenHash>> _headerHashes = new();
    private long _hashed;

    public ValidatedCallerTokens(TimeProvider time, CallerSigningKeys? signingKeys = null)
    {
        _time = time;
        if (signingKeys is not null) ChangeToken.OnChange(signingKeys.GetChangeToken, Clear);
    }

    internal sealed record Entry(ClaimsPrincipal Principal, SecurityKey SigningKey, DateTimeOffset ExpiresAt);

    /// <summary>Forgets every validated token: call when the callers' signing keys change.</summary>
    public void Clear() => _entries.Clear();

    internal int Count => _entries.Count;

    /// <summary>How many tokens were hashed (looked up, added or forgotten) without a remembered hash.</summary>
    internal long Hashed => Interlocked.Read(ref _hashed);

    /// <summary>
    /// The cached entry of <paramref name="token"/>; <paramref name="header"/>, when given, is the Authorization header
    /// it was read from, whose hash is remembered.
    /// </summary>
    internal bool TryGet(string scheme, string? header, ReadOnlySpan<char> token, out Entry entry)
    {
        entry = null!;
        if (token.Length > MaxTokenLength) return false;
        var key = (scheme, header is null ? Hash(token) : HashOf(header, token));
        if (!_entries.TryGetValue(key, out var found)) return false;
        if (_time.GetUtcNow() >= found.ExpiresAt)
        {
            _entries.TryRemove(new(key, found));
            return false;
        }
        entry = found;
        return true;
    }

    internal void Forget(string scheme, ReadOnlySpan<char> token, Entry entry) => _entries.TryRemove(new((scheme, Hash(token)), entry));

    internal void Add(string scheme, string token, ClaimsPrincipal principal, SecurityToken validated)
    {
        if (token.Length > MaxTokenLength || validated.SigningKey is not { } key) return;
        var expires = new DateTimeOffset(DateTime.SpecifyKind(validated.ValidTo, DateTimeKind.Utc));
        if (_time.GetUtcNow() >= expires) return;
        if (_entries.Count >= MaxEntries)
        {
            var now = _time.GetUtcNow();
            foreach (var stale in _entries.Where(e => now >= e.Value.ExpiresAt)) _entries.TryRemove(stale);
            if (_entries.Count >= MaxEntries) _entries.Clear();
        }
        _entries[(scheme, Hash(token))] = new Entry(principal, key, expires);
    }

    private TokenHash HashOf(string header, ReadOnlySpan<char> token)
    {
        if (_headerHashes.TryGetValue(header, out var known)) return known.Value;
        var hash = Hash(token);
        _headerHashes.AddOrUpdate(header, new StrongBox<TokenHash>(hash));
        return hash;
    }

    private TokenHash Hash(ReadOnlySpan<char> token)
    {
        Interlocked.Increment(ref _hashed);
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(token.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(token, bytes);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(bytes.AsSpan(0, length), hash);
            return MemoryMarshal.Read<TokenHash>(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct TokenHash(ulong A, ulong B, ulong C, ulong D);
}

/// <summary>
/// Hooks <see cref="ValidatedCallerTokens"/> into every JwtBearer scheme (generic issuer and Entra ID alike), around the
/// events the other settings configured: <c>MessageReceived</c> answers a cached, still trusted token with its principal
/// (no parameter clone, no token copy, no validation, no events); <c>TokenValidated</c> remembers a token once every
/// other handler of the event accepted it. Microsoft.Identity.Web's handler also keeps the token for on-behalf-of
/// calls, which the gateway never makes. <see cref="CachedCallerAuthentication"/> answers a cached token before the
/// handler is made, for the schemes whose <c>MessageReceived</c> this is alone (<see cref="AnswersFirst"/>).
/// </summary>
internal sealed class CallerTokenCaching(ValidatedCallerTokens cache) : IPostConfigureOptions<JwtBearerOptions>
{
    private const string BearerPrefix = "Bearer ";
    private static readonly JwtBearerEvents Defaults = new();

    // The options (one per scheme and reload) whose MessageReceived was JwtBearer's own before this wrapped it.
    private readonly ConditionalWeakTable<JwtBearerOptions, object> _answeredFirst = [];

    /// <summary>
    /// Whether a cached token of these options may be answered before JwtBearer's handler: no one else handles
    /// <c>MessageReceived</c> (which could read the token from elsewhere or refuse the request), and the events are
    /// not a type of their own or resolved from services (which would not run this class's handlers).
    /// </summary>
    public bool AnswersFirst(JwtBearerOptions options) => _answeredFirst.TryGetValue(options, out _);

    public void PostConfigure(string? name, JwtBearerOptions options)
    {
        var scheme = name ?? "";
        options.Events ??= new JwtBearerEvents();
        var received = options.Events.OnMessageReceived;
        var validated = options.Events.OnTokenValidated;
        if (options.EventsType is null && options.Events.GetType() == typeof(JwtBearerEvents) && received == Defaults.OnMessageReceived)
            _answeredFirst.AddOrUpdate(options, Defaults);
        options.Events.OnMessageReceived = async context =>
        {
            await received(context);
            if (context.Result is not null || await AnswerAsync(scheme, context.HttpContext, context.Token, context.Options) is not { } principal) return;
            context.Principal = principal;
            context.Success();
        };
        options.Events.OnTokenValidated = async context =>
        {
            await validated(context);
            if (context.Result is null && context.Principal is { } principal && context.SecurityToken is JsonWebToken token)
                cache.Add(scheme, token.EncodedToken, principal, token);
        };
    }

    /// <summary>
    /// The principal of the request's token (<paramref name="given"/>, else its <c>Authorization: Bearer</c> header) when
    /// it is cached and still trusted; null otherwise, having forgotten an entry whose signing key is no longer trusted.
    /// </summary>
    internal ValueTask<ClaimsPrincipal?> AnswerAsync(string scheme, HttpContext http, string? given, JwtBearerOptions options)
    {
        var header = given is null ? (string?)http.Request.Headers.Authorization : null;
        var token = given is not null ? given.AsSpan() : BearerOf(header);
        if (token.IsEmpty || !cache.TryGet(scheme, header, token, out var entry)) return new((ClaimsPrincipal?)null);
        var trusted = IsStillTrustedAsync(entry.SigningKey, options, http.RequestAborted);
        if (!trusted.IsCompletedSuccessfully) return AnswerWhenTrustKnownAsync(trusted, scheme, http, given, entry);
        if (trusted.Result) return new(entry.Principal);
        cache.Forget(scheme, token, entry);
        return new((ClaimsPrincipal?)null);
    }

    private async ValueTask<ClaimsPrincipal?> AnswerWhenTrustKnownAsync(
        ValueTask<bool> trusted, string scheme, HttpContext http, string? given, ValidatedCallerTokens.Entry entry)
    {
        if (await trusted) return entry.Principal;
        cache.Forget(scheme, TokenOf(http, given), entry);
        return null;
    }

    private static ReadOnlySpan<char> TokenOf(HttpContext http, string? given) =>
        given is not null ? given.AsSpan() : BearerOf(http.Request.Headers.Authorization);

    /// <summary>The token of an <c>Authorization: Bearer …</c> header, as JwtBearer reads it, without copying it.</summary>
    private static ReadOnlySpan<char> BearerOf(string? authorization) =>
        authorization is not null && authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            ? authorization.AsSpan(BearerPrefix.Length).Trim()
            : [];

    /// <summary>Whether the key that verified the token is still among the keys validation would try now.</summary>
    private static async ValueTask<bool> IsStillTrustedAsync(SecurityKey key, JwtBearerOptions options, CancellationToken cancellationToken)
    {
        var parameters = options.TokenValidationParameters;
        if (ReferenceEquals(parameters.IssuerSigningKey, key) || Holds(parameters.IssuerSigningKeys, key)) return true;
        if (options.ConfigurationManager is { } manager)
            return Holds((await manager.GetConfigurationAsync(cancellationToken)).SigningKeys, key);
        return parameters.ConfigurationManager is { } baseManager &&
            Holds((await baseManager.GetBaseConfigurationAsync(cancellationToken)).SigningKeys, key);
    }

    private static bool Holds(IEnumerable<SecurityKey>? keys, SecurityKey key)
    {
        if (keys is null) return false;
        if (keys is IList<SecurityKey> list)
        {
            // By index: an interface's enumerator is an allocation on every cached request.
            for (var i = 0; i < list.Count; i++)
            {
                if (ReferenceEquals(list[i], key)) return true;
            }
            return false;
        }
        foreach (var candidate in keys)
        {
            if (ReferenceEquals(candidate, key)) return true;
        }
        return false;
    }
}

internal static class ValidatedCallerTokensExtensions
{
    public static IServiceCollection AddValidatedCallerTokenCache(this IServiceCollection services)
    {
        services.AddSingleton<ValidatedCallerTokens>();
        services.AddSingleton<CallerTokenCaching>();
        return services.AddSingleton<IPostConfigureOptions<JwtBearerOptions>>(provider => provider.GetRequiredService<CallerTokenCaching>());
    }
}
