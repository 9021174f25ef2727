namespace Ett.Gateway.Upstream;

/// <summary>The secret a client's token requests use; <c>KeyId</c> is ETT's id of it where the gateway knows it.</summary>
public sealed record EttClientSecret(string Value, Guid? KeyId)
{
    /// <summary>Never the value.</summary>
    public override string ToString() => $"ETT client secret {KeyId?.ToString() ?? "(configured)"}";
}

/// <summary>
/// Which secret a configured ETT client's token requests use: the configured one, unless automatic rotation
/// (ClientSecrets/StoredClientSecrets) stored a newer one in the operations store.
/// </summary>
public interface IEttClientSecrets
{
    /// <summary><paramref name="reread"/>: skip any cache (after ETT refused the secret, another instance may have rotated it).</summary>
    ValueTask<EttClientSecret> CurrentAsync(EttClientCredentials client, bool reread, CancellationToken cancellationToken);
}

/// <summary>The configured secret, always.</summary>
internal sealed class ConfiguredEttClientSecrets : IEttClientSecrets
{
    public ValueTask<EttClientSecret> CurrentAsync(EttClientCredentials client, bool reread, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new EttClientSecret(client.ClientSecret, null));
}
