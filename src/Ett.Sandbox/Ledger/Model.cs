namespace Ett.Sandbox.Ledger;

internal sealed record Organization(Guid Id, string Name, string Tin, bool IsTrial);

internal sealed record EttClient(string ClientId, string Secret, Guid OrganizationId, bool IsTrial);

internal sealed record Address(
    string Address1, string? Address2, string? Locality, string City, string PostalCode, string Country,
    string MunicipalityCode, string CitySubDivisionName);

internal sealed record Technology(string AibTechCode, string AibFuelCode);

internal sealed record MeteringPoint(
    Guid OrganizationId, string Gsrn, string GridArea, string MeteringPointType, string SubMeterType, Address Address,
    Technology Technology, string ConsumerCvr, bool CanBeUsedForIssuingCertificates, string Capacity, string BiddingZone);

internal sealed class Contract
{
    public required Guid Id { get; init; }
    public required Guid OrganizationId { get; init; }
    public required string Gsrn { get; init; }
    public required long StartDate { get; init; }
    public required long? EndDate { get; set; }
    public required long Created { get; init; }
    public required string MeteringPointType { get; init; }
    public required Technology? Technology { get; init; }

    public bool Overlaps(long start, long? end) =>
        start < (EndDate ?? long.MaxValue) && StartDate < (end ?? long.MaxValue);
}

internal sealed class Certificate
{
    public required string Registry { get; init; }
    public required Guid StreamId { get; init; }
    public required SandboxCertificateType Type { get; init; }
    public required long Start { get; init; }
    public required long End { get; init; }
    public required string GridArea { get; init; }
    public required IReadOnlyDictionary<string, string> ClearAttributes { get; init; }

    /// <summary>Every hashed attribute of the certificate; a wallet shows only those it holds value and salt for.</summary>
    public required IReadOnlyDictionary<string, string> HashedAttributes { get; init; }
}

internal enum SliceState
{
    Available,
    Reserved,
    Claimed,
    Transferred,
}

internal sealed class Slice(long quantity, SliceState state)
{
    public long Quantity { get; set; } = quantity;
    public SliceState State { get; set; } = state;
}

/// <summary>One wallet's share of a certificate: its slices and the hashed attributes it knows.</summary>
internal sealed class Holding(Wallet wallet, Certificate certificate, IReadOnlyDictionary<string, string> knownHashedAttributes)
{
    public Wallet Wallet { get; } = wallet;
    public Certificate Certificate { get; } = certificate;
    public IReadOnlyDictionary<string, string> KnownHashedAttributes { get; } = knownHashedAttributes;
    public List<Slice> Slices { get; } = [];
    public long UpdatedAt { get; set; }

    public long Available => Slices.Where(s => s.State == SliceState.Available).Sum(s => s.Quantity);

    public IReadOnlyDictionary<string, string> Attributes =>
        Certificate.ClearAttributes.Concat(KnownHashedAttributes).ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>Reserves exactly <paramref name="quantity"/>: whole slices first, the last one split so its remainder stays available.</summary>
    public List<Slice> Reserve(long quantity)
    {
        var reserved = new List<Slice>();
        var missing = quantity;
        foreach (var slice in Slices.Where(s => s.State == SliceState.Available).ToList())
        {
            if (missing == 0)
            {
                break;
            }

            if (slice.Quantity <= missing)
            {
                slice.State = SliceState.Reserved;
                reserved.Add(slice);
                missing -= slice.Quantity;
            }
            else
            {
                slice.Quantity -= missing;
                var part = new Slice(missing, SliceState.Reserved);
                Slices.Add(part);
                reserved.Add(part);
                missing = 0;
            }
        }

        return reserved;
    }
}

internal sealed class Wallet(Guid id, Guid organizationId, string publicKey)
{
    public Guid Id { get; } = id;
    public Guid OrganizationId { get; } = organizationId;
    public string PublicKey { get; } = publicKey;
    public Dictionary<Guid, Holding> Holdings { get; } = [];
}

/// <summary>A receiver registered by a sender; <see cref="Target"/> is set when the reference points at a sandbox wallet.</summary>
internal sealed record ExternalEndpoint(Guid Id, Wallet Owner, string TextReference, string Endpoint, string PublicKey, Wallet? Target);

internal sealed record ClaimRecord(Guid Id, Wallet Owner, long Quantity, Certificate Production, Certificate Consumption, long UpdatedAt);

internal sealed record TransferRecord(Wallet Sender, Certificate Certificate, Guid ReceiverId, long Quantity, long UpdatedAt);

internal static class RequestStatus
{
    public const string Pending = "pending";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

internal sealed class RequestRecord(Guid id, Guid organizationId)
{
    public Guid Id { get; } = id;
    public Guid OrganizationId { get; } = organizationId;
    public string Status { get; set; } = RequestStatus.Pending;
}
