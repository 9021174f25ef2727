using System.Data.Common;

namespace Ett.Gateway.Operations.Store;

/// <summary>
/// One configured ETT client's row of automatic rotation: the secret rotated in (Data Protection ciphertext, never the
/// value), the intent to create one at ETT, and the old secret to delete once every instance has switched.
/// </summary>
internal sealed record ClientSecretRecord(
    string ClientId, Guid? KeyId, string? ProtectedSecret, DateTimeOffset? ExpiresAt,
    DateTimeOffset? CreatingSince, Guid? RetireKeyId, DateTimeOffset? RetireAfter);

/// <summary>A secret that proved itself at ETT, to switch to.</summary>
internal sealed record RotatedSecret(string ClientId, Guid KeyId, string ProtectedSecret, DateTimeOffset? ExpiresAt);

/// <summary>The rotation's table (migration 6); a lease lets one instance rotate a client at a time.</summary>
internal interface IClientSecretStore
{
    Task<ClientSecretRecord?> GetAsync(string clientName, CancellationToken cancellationToken);

    /// <summary>True when <paramref name="owner"/> now holds the client's lease (free, expired, or its own).</summary>
    Task<bool> TryLeaseAsync(string clientName, string clientId, string owner, DateTimeOffset until, CancellationToken cancellationToken);

    Task ReleaseAsync(string clientName, string owner, CancellationToken cancellationToken);

    /// <summary>Records, before asking ETT, that a secret may exist there from now on that the store does not hold yet (null clears it).</summary>
    Task<bool> SetCreatingAsync(string clientName, string owner, DateTimeOffset? since, CancellationToken cancellationToken);

    /// <summary>Stores the new secret, clears the intent and names the old one to delete after <paramref name="retireAfter"/>.</summary>
    Task<bool> SwitchAsync(string clientName, string owner, RotatedSecret secret, Guid? retireKeyId, DateTimeOffset retireAfter, DateTimeOffset now, CancellationToken cancellationToken);

    Task<bool> ClearRetireAsync(string clientName, string owner, CancellationToken cancellationToken);
}

internal sealed class SqlClientSecretStore(SqlOperationsStore schema, TimeProvider time) : IClientSecretStore
{
    public async Task<ClientSecretRecord?> GetAsync(string clientName, CancellationToken cancellationToken)
    {
        await using var connection = await schema.OpenAsync(cancellationToken);
        var rows = await Sql.QueryAsync(connection, null, """
            SELECT client_id, key_id, protected_secret, expires_at, creating_since, retire_key_id, retire_after
            FROM ett_client_secrets WHERE client_name = @name
            """, [("name", Key(clientName))], Read, cancellationToken);
        return rows.SingleOrDefault();
    }

    public async Task<bool> TryLeaseAsync(string clientName, string clientId, string owner, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var connection = await schema.OpenForWritingAsync(cancellationToken);
        var holder = await Sql.ScalarAsync(connection, null, """
            INSERT INTO ett_client_secrets (client_name, client_id, lease_owner, lease_expires_at) VALUES (@name, @clientId, @owner, @until)
            ON CONFLICT (client_name) DO UPDATE SET lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at
            WHERE ett_client_secrets.lease_owner IS NULL OR ett_client_secrets.lease_owner = excluded.lease_owner
                OR ett_client_secrets.lease_expires_at <= @now
            RETURNING lease_owner
            """,
            [("name", Key(clientName)), ("clientId", clientId), ("owner", owner), ("until", Sql.Millis(until)), ("now", Sql.Millis(time.GetUtcNow()))],
            cancellationToken);
        return holder as string == owner;
    }

    public Task ReleaseAsync(string clientName, string owner, CancellationToken cancellationToken) =>
        UpdateOwnedAsync(clientName, owner, "lease_owner = NULL, lease_expires_at = NULL", [], cancellationToken);

    public Task<bool> SetCreatingAsync(string clientName, string owner, DateTimeOffset? since, CancellationToken cancellationToken) =>
        UpdateOwnedAsync(clientName, owner, "creating_since = @since", [("since", since is { } at ? Sql.Millis(at) : null)], cancellationToken);

    public Task<bool> SwitchAsync(string clientName, string owner, RotatedSecret secret, Guid? retireKeyId, DateTimeOffset retireAfter, DateTimeOffset now, CancellationToken cancellationToken) =>
        UpdateOwnedAsync(clientName, owner, """
            client_id = @clientId, key_id = @keyId, protected_secret = @secret, expires_at = @expires, switched_at = @now,
            creating_since = NULL, retire_key_id = @retire, retire_after = @retireAfter
            """,
            [("clientId", secret.ClientId), ("keyId", Sql.Text(secret.KeyId)), ("secret", secret.ProtectedSecret),
             ("expires", secret.ExpiresAt is { } expires ? Sql.Millis(expires) : null), ("now", Sql.Millis(now)),
             ("retire", retireKeyId is { } retire ? Sql.Text(retire) : null), ("retireAfter", Sql.Millis(retireAfter))],
            cancellationToken);

    public Task<bool> ClearRetireAsync(string clientName, string owner, CancellationToken cancellationToken) =>
        UpdateOwnedAsync(clientName, owner, "retire_key_id = NULL, retire_after = NULL", [], cancellationToken);

    private async Task<bool> UpdateOwnedAsync(string clientName, string owner, string assignments, IEnumerable<(string, object?)> parameters, CancellationToken cancellationToken)
    {
        await using var connection = await schema.OpenForWritingAsync(cancellationToken);
        return await Sql.ExecuteAsync(connection, null,
            $"UPDATE ett_client_secrets SET {assignments} WHERE client_name = @name AND lease_owner = @owner",
            [("name", Key(clientName)), ("owner", owner), .. parameters], cancellationToken) == 1;
    }

    // Client names are case-insensitive (Ett:Clients:N:Name).
    private static string Key(string clientName) => clientName.ToLowerInvariant();

    private static ClientSecretRecord Read(DbDataReader reader) => new(
        reader.GetString(reader.GetOrdinal("client_id")),
        reader.NullableGuid(reader.GetOrdinal("key_id")),
        reader.NullableString(reader.GetOrdinal("protected_secret")),
        reader.NullableInt64(reader.GetOrdinal("expires_at")) is { } expires ? Sql.Instant(expires) : null,
        reader.NullableInt64(reader.GetOrdinal("creating_since")) is { } since ? Sql.Instant(since) : null,
        reader.NullableGuid(reader.GetOrdinal("retire_key_id")),
        reader.NullableInt64(reader.GetOrdinal("retire_after")) is { } after ? Sql.Instant(after) : null);
}
