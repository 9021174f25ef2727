using System.Collections.Concurrent;
using Ett.Gateway.Operations.Store;
using Ett.Gateway.Upstream;

namespace Ett.Gateway.ClientSecrets;

/// <summary>
/// For a client with <c>AutoRotate</c>, the secret rotated in and stored encrypted in the operations store wins over the
/// configured one; every instance re-reads it after <see cref="Lifetime"/>, so a second instance picks up a rotation
/// without a restart. Without <c>AutoRotate</c> the configured secret is used, store or not.
/// </summary>
internal sealed partial class StoredClientSecrets(IClientSecretStore store, ClientSecretProtection protection, TimeProvider time, ILogger<StoredClientSecrets> logger)
    : IEttClientSecrets
{
    /// <summary>How long a read of the store is reused; the old secret is deleted only well after (<see cref="ClientSecretRotation.RetireDelay"/>).</summary>
    internal static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (DateTimeOffset ReadAt, EttClientSecret Secret)> _read = new(StringComparer.OrdinalIgnoreCase);

    public async ValueTask<EttClientSecret> CurrentAsync(EttClientCredentials client, bool reread, CancellationToken cancellationToken)
    {
        var configured = new EttClientSecret(client.ClientSecret, null);
        if (!client.AutoRotate) return configured;
        var now = time.GetUtcNow();
        var known = _read.TryGetValue(client.Name, out var cached);
        if (!reread && known && now - cached.ReadAt < Lifetime) return cached.Secret;
        try
        {
            // A row of another client id is a secret of the client this name had before it was reconfigured.
            var secret = await store.GetAsync(client.Name, cancellationToken) is { KeyId: { } keyId, ProtectedSecret: { } ciphertext } record
                && record.ClientId == client.ClientId
                ? new EttClientSecret(protection.Unprotect(ciphertext), keyId)
                : configured;
            _read[client.Name] = (now, secret);
            return secret;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogReadFailed(logger, client.Name, exception.GetType().Name);
            return known ? cached.Secret : configured;
        }
    }

    /// <summary>This instance switches to a secret it just stored, without waiting for <see cref="Lifetime"/>.</summary>
    public void Remember(EttClientCredentials client, EttClientSecret secret) => _read[client.Name] = (time.GetUtcNow(), secret);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the rotated secret of ETT client {ClientName} from the operations store failed ({Error}); using the last one known")]
    private static partial void LogReadFailed(ILogger logger, string clientName, string error);
}
