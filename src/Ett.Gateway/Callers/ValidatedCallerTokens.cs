using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Ett.Gateway.Callers;

/// <summary>
/// Caller tokens that already passed full validation, so a caller's next request with the same token costs a lookup
/// instead of an RSA signature check (Envoy's JWT filter keeps the same kind of cache). An entry is keyed by the
/// SHA-256 of the token — a changed byte is another key, so a tampered token never matches — and is used only while
/// <list type="bullet">
/// <item>the token has not reached its <c>exp</c> on the gateway's <see cref="TimeProvider"/> (full validation decides after that),</item>
/// <item>the key that verified its signature is still one of the signing keys validation would use (a rotated-out key
/// ends its tokens' entries as soon as the issuer's keys are re-read), and</item>
/// <item>nobody called <see cref="Clear"/> (signing keys changed).</item>
/// </list>
/// At most <see cref="MaxEntries"/> tokens of at most <see cref="MaxTokenLength"/> characters are held (about 10 MB);
/// when full, expired entries go, and if that frees nothing, all of them.
/// </summary>
public sealed class ValidatedCallerTokens(TimeProvider time)
{
    public const int MaxEntries = 10_000;
    public const int MaxTokenLength = 8 * 1024;

    private readonly ConcurrentDictionary<(string Scheme, TokenHash Hash), Entry> _entries = new();

    internal sealed record Entry(ClaimsIdentity Identity, SecurityToken Token, SecurityKey SigningKey, DateTimeOffset ExpiresAt, string? Issuer, string? TokenType);

    /// <summary>Forgets every validated token: call when the callers' signing keys change.</summary>
    public void Clear() => _entries.Clear();

    internal int Count => _entries.Count;

    internal bool TryGet(string scheme, string token, out Entry entry)
    {
        entry = null!;
        if (token.Length > MaxTokenLength) return false;
        var key = (scheme, Hash(token));
        if (!_entries.TryGetValue(key, out var found)) return false;
        if (time.GetUtcNow() >= found.ExpiresAt)
        {
            _entries.TryRemove(new(key, found));
            return false;
        }
        entry = found;
        return true;
    }

    internal void Forget(string scheme, string token, Entry entry) => _entries.TryRemove(new((scheme, Hash(token)), entry));

    internal void Add(string scheme, string token, TokenValidationResult result)
    {
        if (token.Length > MaxTokenLength || result.SecurityToken is not { SigningKey: { } key } validated || result.ClaimsIdentity is not { } identity) return;
        var expires = new DateTimeOffset(DateTime.SpecifyKind(validated.ValidTo, DateTimeKind.Utc));
        if (time.GetUtcNow() >= expires) return;
        if (_entries.Count >= MaxEntries)
        {
            var now = time.GetUtcNow();
            foreach (var stale in _entries.Where(e => now >= e.Value.ExpiresAt)) _entries.TryRemove(stale);
            if (_entries.Count >= MaxEntries) _entries.Clear();
        }
        _entries[(scheme, Hash(token))] = new Entry(identity.Clone(), validated, key, expires, result.Issuer, result.TokenType);
    }

    private static TokenHash Hash(string token)
    {
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
/// Wraps each of JwtBearer's token handlers so a token in <see cref="ValidatedCallerTokens"/> is answered from it;
/// everything after validation (the TokenValidated event, the principal, authorization) runs exactly as before.
/// </summary>
internal sealed class CachingTokenHandler(TokenHandler inner, ValidatedCallerTokens cache, string scheme) : TokenHandler
{
    public override int MaximumTokenSizeInBytes
    {
        get => inner.MaximumTokenSizeInBytes;
        set => inner.MaximumTokenSizeInBytes = value;
    }

    public override SecurityToken ReadToken(string token) => inner.ReadToken(token);

    public override Task<TokenValidationResult> ValidateTokenAsync(SecurityToken token, TokenValidationParameters validationParameters) =>
        inner.ValidateTokenAsync(token, validationParameters);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (cache.TryGet(scheme, token, out var entry))
        {
            if (await IsStillTrustedAsync(entry.SigningKey, validationParameters))
            {
                // A copy per request: the principal built from it may be changed downstream.
                return new TokenValidationResult
                {
                    IsValid = true,
                    ClaimsIdentity = entry.Identity.Clone(),
                    SecurityToken = entry.Token,
                    Issuer = entry.Issuer,
                    TokenType = entry.TokenType,
                };
            }
            cache.Forget(scheme, token, entry);
        }

        var result = await inner.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid) cache.Add(scheme, token, result);
        return result;
    }

    /// <summary>Whether the key that verified the token is still among the keys validation would try now.</summary>
    private static async ValueTask<bool> IsStillTrustedAsync(SecurityKey key, TokenValidationParameters parameters)
    {
        if (ReferenceEquals(parameters.IssuerSigningKey, key) || Holds(parameters.IssuerSigningKeys, key)) return true;
        if (parameters.ConfigurationManager is not { } manager) return false;
        var configuration = await manager.GetBaseConfigurationAsync(CancellationToken.None);
        return Holds(configuration?.SigningKeys, key);
    }

    private static bool Holds(IEnumerable<SecurityKey>? keys, SecurityKey key)
    {
        if (keys is null) return false;
        foreach (var candidate in keys)
        {
            if (ReferenceEquals(candidate, key)) return true;
        }
        return false;
    }
}

/// <summary>Puts <see cref="CachingTokenHandler"/> around every token handler of every JwtBearer scheme (generic issuer and Entra ID alike).</summary>
internal sealed class CallerTokenCaching(ValidatedCallerTokens cache) : IPostConfigureOptions<JwtBearerOptions>
{
    public void PostConfigure(string? name, JwtBearerOptions options)
    {
        for (var i = 0; i < options.TokenHandlers.Count; i++)
        {
            if (options.TokenHandlers[i] is not CachingTokenHandler)
                options.TokenHandlers[i] = new CachingTokenHandler(options.TokenHandlers[i], cache, name ?? "");
        }
    }
}

internal static class ValidatedCallerTokensExtensions
{
    public static IServiceCollection AddValidatedCallerTokenCache(this IServiceCollection services)
    {
        services.AddSingleton<ValidatedCallerTokens>();
        return services.AddSingleton<IPostConfigureOptions<JwtBearerOptions>, CallerTokenCaching>();
    }
}
