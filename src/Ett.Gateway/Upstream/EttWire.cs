using System.Text.Json.Serialization;
namespace Ett.Gateway.Upstream;

// ETT's wire shapes, as ETT-API.md §2 describes them: unix seconds, Wh, enum casing as ETT sends it (read
// case-insensitively). They stay inside Upstream/ and the features that map them; callers never see them.

public sealed record EttResultList<T>(IReadOnlyList<T>? Result)
{
    public IReadOnlyList<T> Items => Result ?? [];
}

/// <summary>One of an ETT client's secrets as ETT's credentials API lists it: no value; the hint is its first characters.</summary>
public sealed record EttCredential(string? Hint, Guid KeyId, long? StartDate, long? EndDate);

/// <summary>A secret ETT just created (200, EO CredentialController.CreateCredential): its value is returned this once.</summary>
public sealed record EttCreatedCredential(string? Hint, Guid KeyId, long? StartDate, long? EndDate, string? Secret);

public sealed record EttPage<T>(IReadOnlyList<T>? Result, EttPageInfo? Metadata)
{
    public IReadOnlyList<T> Items => Result ?? [];
}

public sealed record EttPageInfo(int Count, int Offset, int Limit, int Total);

public sealed record EttMeteringPointList(IReadOnlyList<EttMeteringPoint>? Result, string? Status)
{
    public IReadOnlyList<EttMeteringPoint> Items => Result ?? [];
}

public sealed record EttMeteringPoint(
    string Gsrn,
    string? GridArea,
    string MeteringPointType,
    string? SubMeterType,
    EttAddress? Address,
    EttTechnology? Technology,
    string? ConsumerCvr,
    bool CanBeUsedForIssuingCertificates,
    string? Capacity,
    string? BiddingZone);

public sealed record EttAddress(string? Address1, string? Address2, string? Locality, string? City, string? PostalCode, string? Country, string? MunicipalityCode, string? CitySubDivisionName);

public sealed record EttTechnology(string? AibFuelCode, string? AibTechCode);

/// <summary>One of an organization's reports (<c>GET /api/reports</c>); <c>status</c> is Pending, Completed or Failed.</summary>
public sealed record EttReportStatus(Guid Id, long CreatedAt, string Status);

public sealed record EttContract(Guid Id, string Gsrn, long StartDate, long? EndDate, long Created, string? MeteringPointType, EttTechnology? Technology);

public sealed record EttNewContract(string Gsrn, long StartDate, long? EndDate);

public sealed record EttContractEndDate(Guid Id, long? EndDate);

public sealed record EttWallet(Guid Id, string? PublicKey, long? DisabledDate);

public sealed record EttWalletReference(int Version, string Endpoint, string PublicKey);

public sealed record EttWalletEndpoint(EttWalletReference WalletReference);

public sealed record EttReceiver(Guid ReceiverId);

public sealed record EttFederatedStreamId([property: JsonConverter(typeof(EttPooledStringConverter))] string Registry, Guid StreamId);

/// <summary>
/// A certificate as planning reads it: of its attributes only <c>isTrial</c>. A production certificate carries about
/// twenty, and planning reads the whole list on every transfer; the reader skips the others without keeping them.
/// </summary>
public sealed record EttPlannableCertificate(
    EttFederatedStreamId FederatedStreamId,
    long Quantity,
    long Start,
    long End,
    string GridArea,
    string CertificateType,
    EttTrialAttribute? Attributes)
{
    public bool IsTrial => Attributes?.IsTrial?.Equals("true", StringComparison.OrdinalIgnoreCase) == true;
}

public sealed record EttTrialAttribute(string? IsTrial);

public sealed record EttClaimedCertificate(EttFederatedStreamId FederatedStreamId, long Start, long End, string GridArea, EttAttributes? Attributes);

public sealed record EttClaim(Guid ClaimId, long Quantity, EttClaimedCertificate ProductionCertificate, EttClaimedCertificate ConsumptionCertificate, long? UpdatedAt);

public sealed record EttTransfer(EttFederatedStreamId FederatedStreamId, string ReceiverId, long Quantity, long Start, long End, string GridArea);

public sealed record EttAggregate(long Start, long End, long Quantity, string? Type);

public sealed record EttRequestStatus(string Status)
{
    /// <summary>ETT's wallet sends lowercase, its portal documents PascalCase: compare case-insensitively.</summary>
    public bool Is(string status) => Status.Equals(status, StringComparison.OrdinalIgnoreCase);
}

public sealed record EttClaimAccepted(Guid ClaimRequestId);

public sealed record EttTransferAccepted(Guid TransferRequestId);

/// <summary>Filters of ETT's offset-paged certificate list (§2.5).</summary>
public sealed record EttCertificateQuery(string? Type = null, long? Start = null, long? End = null, int? Limit = null, int Skip = 0, string SortBy = "End", string Sort = "ASC");
