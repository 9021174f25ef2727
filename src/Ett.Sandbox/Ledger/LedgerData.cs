namespace Ett.Sandbox.Ledger;

/// <summary>Everything the simulated ETT knows. Not thread-safe by itself: every access holds <see cref="SandboxState"/>'s lock.</summary>
internal sealed class LedgerData
{
    public Dictionary<Guid, Organization> Organizations { get; } = [];
    public Dictionary<string, EttClient> Clients { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, List<Guid>> Consents { get; } = new(StringComparer.Ordinal);
    public List<MeteringPoint> MeteringPoints { get; } = [];
    public List<Contract> Contracts { get; } = [];
    public List<Report> Reports { get; } = [];
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
    /// Counts changes to transfer and claim rows. ETT materialises those lists from views sorted by updated_at into a
    /// temporary table and pages it without ORDER BY: tied rows keep one order while nothing changes, and another once a
    /// row is written (PW TransferRepository.QueryTransfers, ClaimRepository.QueryClaims).
    /// </summary>
    public int RowVersion { get; set; }

    /// <summary>Receivers whose registry rejects every slice sent to them (set by tests through <see cref="SandboxState.RejectSlicesTo"/>).</summary>
    public HashSet<Guid> RejectingReceivers { get; } = [];

    /// <summary>The certificate as the registry knows it, held by any wallet (PW CertificateRepository.GetCertificate is not per owner).</summary>
    public Certificate? FindCertificate(string? registry, Guid streamId) =>
        Wallets.Values.Select(w => w.Holdings.GetValueOrDefault(streamId)?.Certificate).FirstOrDefault(c => c is not null && c.Registry == registry);

    /// <summary>
    /// Moves one reserved slice (PW TransferFullSlice/TransferPartialSlice): splits off what stays available, lists the
    /// transferred slice at once, and gives a sandbox receiver a <see cref="SliceState.Registering"/> slice. Returns the
    /// receiving slice, or null when the receiver is outside the sandbox or its registry rejected the slice.
    /// </summary>
    public (TransferRecord Record, Holding? Received, Slice? Slice) TransferSlice(
        Holding from, Slice slice, long quantity, Guid requestId, ExternalEndpoint receiver, IReadOnlyCollection<string> hashedAttributes, long now)
    {
        from.Split(slice, quantity, SliceState.Available);
        from.UpdatedAt = now;
        var record = new TransferRecord(slice.Id, requestId, from.Wallet, from.Certificate, receiver.Id, quantity, now);
        Transfers.Add(record);
        RowVersion++;
        if (RejectingReceivers.Contains(receiver.Id))
        {
            // The sandbox's guess: a rejected slice returns to the sender; the failed row stays listed (no state filter).
            slice.State = SliceState.Available;
            record.State = TransferState.Failed;
            return (record, null, null);
        }

        slice.State = SliceState.Transferred;
        if (receiver.Target is not { } target)
        {
            record.State = TransferState.Completed;
            return (record, null, null);
        }

        var shared = from.KnownHashedAttributes
            .Where(kv => hashedAttributes.Contains(kv.Key, StringComparer.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var received = HoldingOf(target, from.Certificate, shared);
        var receivedSlice = new Slice(Guid.NewGuid(), quantity, SliceState.Registering);
        received.Slices.Add(receivedSlice);
        received.UpdatedAt = now;
        return (record, received, receivedSlice);
    }

    /// <summary>
    /// Claims reserved slices pair by pair, greedily as PW ClaimCertificateCommandHandler.BuildClaimRoutingSlip does:
    /// one claim per production/consumption slice pair, remainders split off and available again.
    /// </summary>
    public void ClaimSlices(
        Holding production, List<Slice> reservedProduction, Holding consumption, List<Slice> reservedConsumption, long quantity, Guid requestId, long now)
    {
        var productionPieces = new Queue<Slice>(Exact(production, reservedProduction, quantity));
        foreach (var consumptionSlice in Exact(consumption, reservedConsumption, quantity))
        {
            var left = consumptionSlice;
            while (left is not null)
            {
                var productionSlice = productionPieces.Dequeue();
                if (productionSlice.Quantity > left.Quantity)
                {
                    production.Split(productionSlice, left.Quantity, SliceState.Reserved);
                    productionPieces = new Queue<Slice>(productionPieces.Prepend(production.Slices[^1]));
                }

                Slice? rest = null;
                if (left.Quantity > productionSlice.Quantity)
                {
                    consumption.Split(left, productionSlice.Quantity, SliceState.Reserved);
                    rest = consumption.Slices[^1];
                }

                productionSlice.State = left.State = SliceState.Claimed;
                Claims.Add(new ClaimRecord(Guid.NewGuid(), requestId, consumption.Wallet, left.Quantity, production.Certificate, consumption.Certificate, now));
                left = rest;
            }
        }

        production.UpdatedAt = consumption.UpdatedAt = now;
        RowVersion++;
    }

    /// <summary>The reserved slices cut to exactly <paramref name="quantity"/>: the last is split, its remainder available again.</summary>
    private static List<Slice> Exact(Holding holding, List<Slice> reserved, long quantity)
    {
        var pieces = new List<Slice>();
        var missing = quantity;
        foreach (var slice in reserved)
        {
            if (missing == 0)
            {
                slice.State = SliceState.Available;
                continue;
            }

            holding.Split(slice, Math.Min(slice.Quantity, missing), SliceState.Available);
            missing -= slice.Quantity;
            pieces.Add(slice);
        }

        return pieces;
    }
}
