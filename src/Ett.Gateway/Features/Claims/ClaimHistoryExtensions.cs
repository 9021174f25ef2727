using Ett.Gateway.Features;
using Ett.Gateway.Callers;
using Ett.Gateway.Errors;
using Ett.Gateway.Features.Certificates;
using Ett.Gateway.Features.Paging;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Upstream;
using Ett.Gateway.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ett.Gateway.Features.Claims;

public static class ClaimHistoryExtensions
{
    public static IEndpointRouteBuilder MapClaimHistory(this IEndpointRouteBuilder app)
    {
        var group = app.MapOrganizationGroup("/claims")
            .WithTags("Claims")
            .RequireAuthorization(CallerPolicies.Read)
            .WithRequestValidation()
            .ProducesUpstreamProblems();

        group.MapGet("", ListAsync)
            .WithName("ListClaims")
            .WithSummary("List claims")
            .WithDescription("The organization's completed claims (all of them, not only hourly matches), each with both "
                + "certificates. Page with `limit` and the opaque `nextCursor`; it is null on the last page. ETT's claim "
                + "list has no defined order, so the gateway's offset paging relies on ETT returning the same order for "
                + "every page; claims made meanwhile can shift later pages. `totalCount` is ETT's count of matching claims.")
            .WithProblemResponse(StatusCodes.Status404NotFound, $"The organization has no wallet in ETT ({ProblemTypes.NotFound}).")
            .WithResponseExample(StatusCodes.Status200OK, "One page of claims and the cursor of the next.", Example);
        return app;
    }

    private static async Task<Ok<Page<ClaimRecord>>> ListAsync([AsParameters] ClaimHistoryQuery query, EttClient ett, CancellationToken ct) =>
        TypedResults.Ok(await OffsetPager.ReadAsync(query,
            (skip, limit) => ett.GetClaimsAsync(query.OrganizationId, query.EttStart(), query.EttEnd(), limit, skip, ct),
            ClaimRecord.From));

    private static readonly Page<ClaimRecord> Example = new()
    {
        Items =
        [
            new ClaimRecord
            {
                ClaimId = new Guid("6f1d2c3b-4a59-4e8d-9c7b-1a2b3c4d5e6f"),
                QuantityWh = 150_000,
                ProductionCertificate = new ClaimedCertificate
                {
                    Id = new CertificateId { Registry = "Energinet.dk", StreamId = new Guid("0b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21") },
                    Start = new DateTimeOffset(2026, 11, 24, 13, 0, 0, TimeSpan.Zero),
                    End = new DateTimeOffset(2026, 11, 24, 14, 0, 0, TimeSpan.Zero),
                    GridArea = "DK1",
                    Attributes = new Dictionary<string, string> { ["energyTag_ProducedEnergySource"] = "F01050100", ["isTrial"] = "false" },
                },
                ConsumptionCertificate = new ClaimedCertificate
                {
                    Id = new CertificateId { Registry = "Energinet.dk", StreamId = new Guid("7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928") },
                    Start = new DateTimeOffset(2026, 11, 24, 13, 0, 0, TimeSpan.Zero),
                    End = new DateTimeOffset(2026, 11, 24, 14, 0, 0, TimeSpan.Zero),
                    GridArea = "DK1",
                    Attributes = new Dictionary<string, string> { ["isTrial"] = "false" },
                },
                UpdatedAt = new DateTimeOffset(2026, 11, 25, 9, 12, 41, TimeSpan.Zero),
            },
        ],
        NextCursor = null,
        TotalCount = 1,
    };
}
