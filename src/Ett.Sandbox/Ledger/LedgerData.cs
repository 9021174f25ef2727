namespace Ett.Sandbox.Ledger;

/// <summary>Everything the simulated ETT knows. Not thread-safe by itself: every access holds <see cref="SandboxState"/>'s lock.</summary>
internal sealed class LedgerData
{
    public Dictionary<Guid, Organization> Organizations { get; } = [];
    public Dictionary<string, EttClient> Clients { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, List<Guid>> Consents { get; } = new(StringComparer.Ordinal);
    public List<MeteringPoint> MeteringPoints { get; } = [];
    public List<Contract> Contracts { get; } = [];
    public Dictionary<Guid, Wallet> Wallets { get; } = [];
    public Dictionary<string, Wallet> WalletEndpoints { get; } = new(StringComparer.Ordinal);
    public Dictionary<Guid, ExternalEndpoint> ExternalEndpoints { get; } = [];
    public List<ClaimRecord> Claims { get; } = [];
    public List<TransferRecord> Transfers { get; } = [];
    public Dictionary<Guid, RequestRecord> RequestStatuses { get; } = [];

    public Wallet? WalletOf(Guid organizationId) => Wallets.Values.FirstOrDefault(w => w.OrganizationId == organizationId);

    public Holding HoldingOf(Wallet wallet, Certificate certificate, IReadOnlyDictionary<string, string> knownHashedAttributes)
    {
        if (!wallet.Holdings.TryGetValue(certificate.StreamId, out var holding))
        {
            holding = new Holding(wallet, certificate, knownHashedAttributes);
            wallet.Holdings.Add(certificate.StreamId, holding);
        }

        return holding;
    }

    /// <summary>
    /// Moves reserved slices to the receiver. A receiver in the sandbox gets them as an available slice, with only the
    /// hashed attributes named in <paramref name="hashedAttributes"/> — ETT matches those names case-sensitively (SQL = ANY).
    /// </summary>
    public void CompleteTransfer(Holding from, List<Slice> reserved, ExternalEndpoint receiver, IReadOnlyCollection<string> hashedAttributes, long now)
    {
        var quantity = reserved.Sum(s => s.Quantity);
        reserved.ForEach(s => s.State = SliceState.Transferred);
        from.UpdatedAt = now;
        Transfers.Add(new TransferRecord(from.Wallet, from.Certificate, receiver.Id, quantity, now));

        if (receiver.Target is { } target)
        {
            var shared = from.KnownHashedAttributes
                .Where(kv => hashedAttributes.Contains(kv.Key, StringComparer.Ordinal))
                .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            var received = HoldingOf(target, from.Certificate, shared);
            received.Slices.Add(new Slice(quantity, SliceState.Available));
            received.UpdatedAt = now;
        }
    }
}
