using Ett.Gateway.Features;
using Ett.Gateway.Callers;
using Ett.Gateway.Errors;
using Ett.Gateway.Features.Certificates;
using Ett.Gateway.Features.Paging;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Upstream;
using Ett.Gateway.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ett.Gateway.Features.Transfers;

public static class TransferHistoryExtensions
{
    public static IEndpointRouteBuilder MapTransferHistory(this IEndpointRouteBuilder app)
    {
        var group = app.MapOrganizationGroup("/transfers")
            .WithTags("Transfers")
            .RequireAuthorization(CallerPolicies.Read)
            .WithRequestValidation()
            .ProducesUpstreamProblems();

        group.MapGet("", ListAsync)
            .WithName("ListTransfers")
            .WithSummary("List outgoing transfers")
            .WithDescription("The organization's completed outgoing transfers. Page with `limit` and the opaque `nextCursor`; "
                + "it is null on the last page. ETT lists transfers in its database view's order, which the gateway's offset "
                + "paging relies on; transfers made meanwhile can shift later pages. `totalCount` is ETT's count of "
                + "matching transfers.")
            .WithProblemResponse(StatusCodes.Status404NotFound, $"The organization has no wallet in ETT ({ProblemTypes.NotFound}).")
            .WithResponseExample(StatusCodes.Status200OK, "One page of outgoing transfers and the cursor of the next.", Example);
        return app;
    }

    private static async Task<Ok<Page<TransferRecord>>> ListAsync([AsParameters] TransferHistoryQuery query, EttClient ett, CancellationToken ct) =>
        TypedResults.Ok(await OffsetPager.ReadAsync(query,
            (skip, limit) => ett.GetTransfersAsync(query.OrganizationId, query.EttStart(), query.EttEnd(), limit, skip, ct),
            TransferRecord.From));

    private static readonly Page<TransferRecord> Example = new()
    {
        Items =
        [
            new TransferRecord
            {
                CertificateId = new CertificateId { Registry = "Energinet.dk", StreamId = new Guid("0b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21") },
                ReceiverId = "d4c3b2a1-9f8e-4d7c-8b6a-5f4e3d2c1b0a",
                QuantityWh = 84_938,
                Start = new DateTimeOffset(2026, 11, 24, 13, 0, 0, TimeSpan.Zero),
                End = new DateTimeOffset(2026, 11, 24, 14, 0, 0, TimeSpan.Zero),
                GridArea = "DK1",
            },
        ],
        NextCursor = "djE6MTAwOjNxV2Z0SjR6S2d2a0Iydkw",
        TotalCount = 108,
    };
}
