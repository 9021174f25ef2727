using System.ComponentModel;
using Ett.Gateway.Features.Certificates;
using Ett.Gateway.Features.Paging;
using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.Mvc;

namespace Ett.Gateway.Features.Claims;

/// <summary>A completed claim: production matched against consumption.</summary>
internal sealed record ClaimRecord
{
    public required Guid ClaimId { get; init; }
    public required long QuantityWh { get; init; }
    public required ClaimedCertificate ProductionCertificate { get; init; }
    public required ClaimedCertificate ConsumptionCertificate { get; init; }
    public required DateTimeOffset? UpdatedAt { get; init; }

    internal static ClaimRecord From(EttClaim claim) => new()
    {
        ClaimId = claim.ClaimId,
        QuantityWh = claim.Quantity,
        ProductionCertificate = ClaimedCertificate.From(claim.ProductionCertificate),
        ConsumptionCertificate = ClaimedCertificate.From(claim.ConsumptionCertificate),
        // Not in ETT's documented schema, but the wallet sends it (ETT-API.md §10).
        UpdatedAt = claim.UpdatedAt is { } updated ? DateTimeOffset.FromUnixTimeSeconds(updated) : null,
    };
}

internal sealed record ClaimedCertificate
{
    public required CertificateId Id { get; init; }
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }

    /// <summary>Bidding zone: DK1 or DK2.</summary>
    public required string GridArea { get; init; }

    public required IReadOnlyDictionary<string, string> Attributes { get; init; }

    internal static ClaimedCertificate From(EttClaimedCertificate certificate) => new()
    {
        Id = CertificateId.From(certificate.FederatedStreamId),
        Start = DateTimeOffset.FromUnixTimeSeconds(certificate.Start),
        End = DateTimeOffset.FromUnixTimeSeconds(certificate.End),
        GridArea = certificate.GridArea,
        Attributes = certificate.Attributes ?? EttAttributes.Empty,
    };
}

internal sealed record ClaimHistoryQuery(
    Guid OrganizationId,
    [property: FromQuery(Name = "from"), Description(PageParameters.From)] DateTimeOffset? From,
    [property: FromQuery(Name = "to"), Description(PageParameters.To)] DateTimeOffset? To,
    [property: FromQuery(Name = "limit"), Description(PageParameters.Limit)] int? Limit,
    [property: FromQuery(Name = "cursor"), Description(PageParameters.Cursor)] string? Cursor) : IPagedQuery
{
    public string Fingerprint => PageCursor.Fingerprint("claims", OrganizationId, this.EttStart(), this.EttEnd());
}

internal sealed class ClaimHistoryQueryValidator : PagedQueryValidator<ClaimHistoryQuery>;
