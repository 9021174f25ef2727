namespace Ett.Gateway.Features.Wallet;

/// <summary>The organization's ETT wallet and what it holds available.</summary>
internal sealed record WalletView
{
    public required Guid WalletId { get; init; }

    /// <summary>The wallet's public key, base64.</summary>
    public required string PublicKey { get; init; }

    /// <summary>A disabled wallet can neither send nor receive nor claim.</summary>
    public required bool Disabled { get; init; }

    public required DateTimeOffset? DisabledAt { get; init; }

    /// <summary>Production certificate quantity not yet reserved, claimed or transferred.</summary>
    public required long AvailableProductionWh { get; init; }

    /// <summary>Consumption certificate quantity not yet reserved or claimed.</summary>
    public required long AvailableConsumptionWh { get; init; }
}

/// <summary>A new receive endpoint on our wallet; hand <see cref="WalletReference"/> to the partner who will send to it.</summary>
internal sealed record ReceiveEndpoint
{
    public required WalletReference WalletReference { get; init; }
}

/// <summary>ETT's WalletEndpointReference: what a sending wallet registers (as an external endpoint) to transfer to us.</summary>
internal sealed record WalletReference
{
    public required int Version { get; init; }

    /// <summary>Our wallet's slice-receiving URL.</summary>
    public required string Endpoint { get; init; }

    /// <summary>A key derived for this endpoint only, base64.</summary>
    public required string PublicKey { get; init; }
}
