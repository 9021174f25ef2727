namespace Ett.Sandbox.Ledger;

internal sealed record Organization(Guid Id, string Name, string Tin, bool IsTrial);

internal sealed record EttClient(string ClientId, List<ClientSecret> Secrets, Guid OrganizationId, bool IsTrial);

/// <summary>A B2C application password: Graph lists it without its value; its hint is the value's first three characters.</summary>
internal sealed record ClientSecret(Guid KeyId, string Hint, string Value, long StartDate, long EndDate)
{
    public static ClientSecret Create(Guid keyId, string value, DateTimeOffset start, DateTimeOffset end) =>
        new(keyId, value[..3], value, start.ToUnixTimeSeconds(), end.ToUnixTimeSeconds());
}

internal sealed record Address(
    string Address1, string? Address2, string? Locality, string City, string PostalCode, string Country,
    string MunicipalityCode, string CitySubDivisionName);

internal sealed record Technology(string AibTechCode, string AibFuelCode);

internal sealed record MeteringPoint(
    Guid OrganizationId, string Gsrn, string GridArea, string MeteringPointType, string SubMeterType, Address Address,
    Technology Technology, string ConsumerCvr, bool CanBeUsedForIssuingCertificates, string Capacity, string BiddingZone);

/// <summary>A PDF report (Transfer API <c>Report</c>): its content once <c>Completed</c>.</summary>
internal sealed record Report(Guid Id, Guid OrganizationId, long CreatedAt, string Status, byte[]? Content);

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

    /// <summary>Received but not yet confirmed by the registry: counted by the POST's quantity check, not listed.</summary>
    Registering,
    Reserved,
    Claimed,
    Transferred,
}

internal sealed class Slice(Guid id, long quantity, SliceState state)
{
    public Guid Id { get; } = id;
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

    /// <summary>What ETT lists as the certificate's quantity (certificates_query_model sums state Available only).</summary>
    public long Available => Slices.Where(s => s.State == SliceState.Available).Sum(s => s.Quantity);

    /// <summary>What the POST's synchronous check counts (PW CertificateRepository.GetRegisteringAndAvailableQuantity).</summary>
    public long RegisteringAndAvailable => Slices.Where(s => s.State is SliceState.Available or SliceState.Registering).Sum(s => s.Quantity);

    public IReadOnlyDictionary<string, string> Attributes =>
        Certificate.ClearAttributes.Concat(KnownHashedAttributes).ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>
    /// Reserves whole available slices, smallest first, until they cover <paramref name="quantity"/>; the last one may
    /// hold more, and is split when the transfer or claim moves it (PW CertificateRepository.ReserveQuantity). Null when
    /// the available slices do not cover the quantity.
    /// </summary>
    public List<Slice>? Reserve(long quantity)
    {
        var available = Slices.Where(s => s.State == SliceState.Available).OrderBy(s => s.Quantity).ToList();
        if (available.Sum(s => s.Quantity) < quantity)
        {
            return null;
        }

        var reserved = new List<Slice>();
        var taken = 0L;
        foreach (var slice in available.TakeWhile(_ => taken < quantity))
        {
            slice.State = SliceState.Reserved;
            reserved.Add(slice);
            taken += slice.Quantity;
        }

        return reserved;
    }

    /// <summary>Splits <paramref name="slice"/> so it holds <paramref name="quantity"/>; the remainder becomes a new slice in <paramref name="remainderState"/>.</summary>
    public void Split(Slice slice, long quantity, SliceState remainderState)
    {
        if (slice.Quantity > quantity)
        {
            Slices.Add(new Slice(Guid.NewGuid(), slice.Quantity - quantity, remainderState));
            slice.Quantity = quantity;
        }
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

/// <summary>One claimed pair of slices (PW claims_query_model lists a row per claim, state Claimed only, quantity of the consumption slice).</summary>
internal sealed record ClaimRecord(Guid Id, Guid RequestId, Wallet Owner, long Quantity, Certificate Production, Certificate Consumption, long UpdatedAt);

internal static class TransferState
{
    public const string Transferring = "transferring";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>One transferred slice (PW transferred_slices): the list shows it in every state, failed ones included.</summary>
internal sealed class TransferRecord(Guid sliceId, Guid requestId, Wallet sender, Certificate certificate, Guid receiverId, long quantity, long updatedAt)
{
    public Guid SliceId { get; } = sliceId;
    public Guid RequestId { get; } = requestId;
    public Wallet Sender { get; } = sender;
    public Certificate Certificate { get; } = certificate;
    public Guid ReceiverId { get; } = receiverId;
    public long Quantity { get; } = quantity;
    public long UpdatedAt { get; set; } = updatedAt;
    public string State { get; set; } = TransferState.Transferring;
}

internal static class RequestStatus
{
    public const string Pending = "pending";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

internal enum RequestKind
{
    Transfer,
    Claim,
}

internal sealed class RequestRecord(Guid id, Guid organizationId, RequestKind kind, long quantity)
{
    public Guid Id { get; } = id;
    public Guid OrganizationId { get; } = organizationId;
    public RequestKind Kind { get; } = kind;
    public long Quantity { get; } = quantity;
    public string Status { get; set; } = RequestStatus.Pending;
}
