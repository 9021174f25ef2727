using System.ComponentModel;
using Microsoft.AspNetCore.Mvc;
using System.Text.Json.Serialization;
using Ett.Gateway.Features.Contracts;
using Ett.Gateway.Upstream;
using Ett.Gateway.Validation;
using FluentValidation;

namespace Ett.Gateway.Features.MeteringPoints;

/// <summary>Whether a metering point measures what is produced or what is consumed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MeteringPointType>))]
internal enum MeteringPointType
{
    [JsonStringEnumMemberName("production")] Production,
    [JsonStringEnumMemberName("consumption")] Consumption,
}

/// <summary>Whether DataHub has released the organization's metering points to ETT yet.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RelationStatus>))]
internal enum RelationStatus
{
    /// <summary>DataHub's relation exists: the list is complete.</summary>
    [JsonStringEnumMemberName("created")] Created,

    /// <summary>DataHub has not confirmed the relation yet: expect an empty list and ask again later.</summary>
    [JsonStringEnumMemberName("pending")] Pending,
}

/// <summary>An organization's metering points in DataHub, as ETT knows them.</summary>
internal sealed record MeteringPointList
{
    /// <summary>
    /// <c>pending</c> while DataHub has not yet released the organization's metering points to ETT (then the list is
    /// empty for now), else <c>created</c>.
    /// </summary>
    public required RelationStatus RelationStatus { get; init; }

    public required IReadOnlyList<MeteringPoint> MeteringPoints { get; init; }
}

/// <summary>One metering point, with whether certificates are being issued for it (an active contract).</summary>
internal sealed record MeteringPoint
{
    /// <summary>The GSRN: 18 digits.</summary>
    public required string Gsrn { get; init; }

    public required MeteringPointType Type { get; init; }

    /// <summary>DataHub's grid area code, e.g. <c>542</c>.</summary>
    public required string? GridArea { get; init; }

    /// <summary><c>DK1</c> or <c>DK2</c>; certificates' <c>gridArea</c> is this bidding zone.</summary>
    public required string? BiddingZone { get; init; }

    /// <summary>DataHub's sub meter type in lowercase: <c>physical</c>, <c>virtual</c> or <c>calculated</c>.</summary>
    public required string? SubMeterType { get; init; }

    public required MeteringPointAddress? Address { get; init; }

    /// <summary>AIB codes of the production technology; null for consumption.</summary>
    public required Technology? Technology { get; init; }

    /// <summary>CVR number of the consumer registered on the metering point.</summary>
    public required string? ConsumerCvr { get; init; }

    /// <summary>
    /// Whether ETT can issue certificates for it (consumption, or solar or wind production in operation); a contract
    /// can be created only then.
    /// </summary>
    public required bool CanIssueCertificates { get; init; }

    /// <summary>Capacity as DataHub states it (for production, the installed capacity).</summary>
    public required string? Capacity { get; init; }

    /// <summary>Whether a contract is in force now, so ETT issues certificates for the metering point.</summary>
    public required bool Active { get; init; }

    /// <summary>The contract in force now; null when <c>active</c> is false.</summary>
    public required Guid? ContractId { get; init; }
}

internal sealed record MeteringPointAddress
{
    public required string? Address1 { get; init; }
    public required string? Address2 { get; init; }
    public required string? Locality { get; init; }
    public required string? City { get; init; }
    public required string? PostalCode { get; init; }

    /// <summary>ISO 3166 country code, <c>DK</c>.</summary>
    public required string? Country { get; init; }

    public required string? MunicipalityCode { get; init; }
    public required string? CitySubDivisionName { get; init; }

    internal static MeteringPointAddress? From(EttAddress? address) => address is null ? null : new()
    {
        Address1 = address.Address1,
        Address2 = address.Address2,
        Locality = address.Locality,
        City = address.City,
        PostalCode = address.PostalCode,
        Country = address.Country,
        MunicipalityCode = address.MunicipalityCode,
        CitySubDivisionName = address.CitySubDivisionName,
    };
}

/// <summary>AIB fuel and technology codes of a production device.</summary>
internal sealed record Technology
{
    /// <summary>AIB fuel code, e.g. <c>F01050100</c> (wind).</summary>
    public required string AibFuelCode { get; init; }

    /// <summary>AIB technology code, e.g. <c>T020001</c> (onshore wind).</summary>
    public required string AibTechCode { get; init; }

    /// <summary>ETT sends empty codes (or none) for consumption: no technology.</summary>
    internal static Technology? From(EttTechnology? technology) =>
        technology is { AibFuelCode: { Length: > 0 } fuel, AibTechCode: { Length: > 0 } tech } ? new() { AibFuelCode = fuel, AibTechCode = tech } : null;
}

internal sealed record MeteringPointsQuery(
    [property: Description("ETT's organization id (see GET /organizations).")]
    Guid OrganizationId,
    // A string, not the enum: minimal APIs bind enums case-sensitively by member name ("Production").
    [FromQuery(Name = "type")]
    [property: Description("Only metering points of this type: `production` or `consumption`; all when absent.")]
    string? Type);

internal sealed class MeteringPointsQueryValidator : AbstractValidator<MeteringPointsQuery>
{
    public MeteringPointsQueryValidator()
    {
        RuleFor(q => q.OrganizationId).NonEmptyGuid();
        RuleFor(q => q.Type).Must(type => type is null || ContractMapping.TypeOf(type) is not null)
            .WithMessage("Must be 'production' or 'consumption'.");
    }
}
