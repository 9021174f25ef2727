using System.ComponentModel;
using Ett.Gateway.Features.Paging;
using Ett.Gateway.Validation;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;

namespace Ett.Gateway.Features.Certificates;

internal sealed record CertificateQuery(
    Guid OrganizationId,
    [property: FromQuery(Name = "type"), Description("Only this type: `production` or `consumption`.")] string? Type,
    [property: FromQuery(Name = "gridArea"), Description("Only this bidding zone: `DK1` or `DK2`. ETT cannot filter by it, so the gateway does; a page may then hold fewer than `limit` items.")] string? GridArea,
    [property: FromQuery(Name = "from"), Description(PageParameters.From)] DateTimeOffset? From,
    [property: FromQuery(Name = "to"), Description(PageParameters.To)] DateTimeOffset? To,
    [property: FromQuery(Name = "limit"), Description(PageParameters.Limit)] int? Limit,
    [property: FromQuery(Name = "cursor"), Description(PageParameters.Cursor)] string? Cursor) : IPagedQuery
{
    public static readonly string[] Types = ["production", "consumption"];

    public string Fingerprint => PageCursor.Fingerprint("certificates", OrganizationId, Type, GridArea, this.EttStart(), this.EttEnd());

    /// <summary>ETT's spelling of the type filter (it accepts the names case-insensitively).</summary>
    public string? EttType => Type switch
    {
        "production" => "Production",
        "consumption" => "Consumption",
        _ => null,
    };
}

internal sealed class CertificateQueryValidator : PagedQueryValidator<CertificateQuery>
{
    public CertificateQueryValidator()
    {
        RuleFor(q => q.Type).Must(type => type is null || CertificateQuery.Types.Contains(type))
            .WithMessage("Must be 'production' or 'consumption'.");
        RuleFor(q => q.GridArea).GridArea();
    }
}
