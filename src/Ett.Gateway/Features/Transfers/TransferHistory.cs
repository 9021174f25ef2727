using System.ComponentModel;
using Ett.Gateway.Features.Certificates;
using Ett.Gateway.Features.Paging;
using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.Mvc;

namespace Ett.Gateway.Features.Transfers;

/// <summary>An outgoing transfer of (part of) a certificate to a receiver.</summary>
internal sealed record TransferRecord
{
    public required CertificateId CertificateId { get; init; }

    /// <summary>ETT's id of the receiving external endpoint.</summary>
    public required string ReceiverId { get; init; }

    public required long QuantityWh { get; init; }
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }

    /// <summary>Bidding zone: DK1 or DK2.</summary>
    public required string GridArea { get; init; }

    internal static TransferRecord From(EttTransfer transfer) => new()
    {
        CertificateId = CertificateId.From(transfer.FederatedStreamId),
        ReceiverId = transfer.ReceiverId,
        QuantityWh = transfer.Quantity,
        Start = DateTimeOffset.FromUnixTimeSeconds(transfer.Start),
        End = DateTimeOffset.FromUnixTimeSeconds(transfer.End),
        GridArea = transfer.GridArea,
    };
}

internal sealed record TransferHistoryQuery(
    Guid OrganizationId,
    [property: FromQuery(Name = "from"), Description(PageParameters.From)] DateTimeOffset? From,
    [property: FromQuery(Name = "to"), Description(PageParameters.To)] DateTimeOffset? To,
    [property: FromQuery(Name = "limit"), Description(PageParameters.Limit)] int? Limit,
    [property: FromQuery(Name = "cursor"), Description(PageParameters.Cursor)] string? Cursor) : IPagedQuery
{
    public string Fingerprint => PageCursor.Fingerprint("transfers", OrganizationId, this.EttStart(), this.EttEnd());
}

internal sealed class TransferHistoryQueryValidator : PagedQueryValidator<TransferHistoryQuery>;
