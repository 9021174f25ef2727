namespace Ett.Gateway.ClientSecrets;

/// <summary>A configured ETT client's secrets at ETT (never their values).</summary>
public sealed record ClientSecretList(string ClientName, string ClientId, IReadOnlyList<ClientSecretView> Secrets)
{
    internal static readonly ClientSecretList Example = new("default", "e77c11e0-0000-4000-8000-000000000001",
    [
        new ClientSecretView(Guid.Parse("c2ed0000-0000-4000-8000-000000000001"), "san",
            DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse("2026-02-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), InUse: true),
    ]);
}

/// <summary>One secret: its id (to delete it), hint (its first characters), validity, and whether the gateway is configured with it.</summary>
public sealed record ClientSecretView(Guid KeyId, string? Hint, DateTimeOffset? Start, DateTimeOffset? End, bool InUse);

/// <summary>A secret ETT just created. <c>secret</c> is shown this once: store it (e.g. as Ett:Clients:N:ClientSecret) now.</summary>
public sealed record CreatedClientSecret(Guid KeyId, string? Hint, DateTimeOffset? Start, DateTimeOffset? End, string Secret)
{
    internal static readonly CreatedClientSecret Example = new(Guid.Parse("c2ed0000-0000-4000-8000-0000000000aa"), "Qk3",
        DateTimeOffset.Parse("2026-01-20T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
        DateTimeOffset.Parse("2027-01-20T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), "Qk3…(shown once)");
}
