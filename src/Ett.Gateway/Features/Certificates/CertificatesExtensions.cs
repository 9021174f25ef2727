using Ett.Gateway.Features;
using Ett.Gateway.Callers;
using Ett.Gateway.Errors;
using Ett.Gateway.Features.Paging;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Upstream;
using Ett.Gateway.Validation;

namespace Ett.Gateway.Features.Certificates;

public static class CertificatesExtensions
{
    public static IEndpointRouteBuilder MapCertificates(this IEndpointRouteBuilder app)
    {
        var group = app.MapOrganizationGroup("/certificates")
            .WithTags("Certificates")
            .RequireAuthorization(CallerPolicies.Read)
            .WithRequestValidation()
            .ProducesUpstreamProblems();

        group.MapGet("", ListAsync)
            .WithName("ListCertificates")
            .WithSummary("List available certificates")
            .WithDescription("The organization's certificates with available quantity (not reserved, claimed or transferred), "
                + "oldest end first, with their attributes. Page with `limit` and the opaque `nextCursor`; it is null on the "
                + "last page. The gateway pages ETT's offset list sorted by end time and never ends a page between "
                + "certificates that end at the same instant, so a page can hold a few fewer than `limit` (or, when more "
                + "than `limit` end together, all of them). Paging neither repeats nor skips a certificate while the wallet "
                + "is unchanged; certificates claimed or transferred meanwhile can shift later pages. `totalCount` is ETT's "
                + "count of matching certificates, null when `gridArea` filters.")
            .Produces<Page<Certificate>>()
            .WithProblemResponse(StatusCodes.Status404NotFound, $"The organization has no wallet in ETT ({ProblemTypes.NotFound}).")
            .WithQueryValues("type", CertificateQuery.Types)
            .WithQueryValues("gridArea", RequestRules.GridAreas)
            .WithResponseExample(StatusCodes.Status200OK, "One page of available certificates and the cursor of the next.", Example);
        return app;
    }

    private static async Task<CertificatePage> ListAsync([AsParameters] CertificateQuery query, EttClient ett, CancellationToken ct)
    {
        // Sorted by end, ETT's default spelled out: offsets only page reliably over a fixed order. The wallet sorts by
        // end_date alone, so certificates ending together can swap places between calls: pages end between end times.
        var filter = new EttCertificateQuery(query.EttType, query.EttStart(), query.EttEnd(), SortBy: "End", Sort: "ASC");
        var bodies = new EttAnswerBodies();
        var page = await OffsetPager.ReadAsync(query,
            (skip, limit) => ett.GetCertificatesAsync(query.OrganizationId, filter with { Skip = skip, Limit = limit }, bodies, ct),
            // ETT has no grid-area filter.
            keep: query.GridArea is { } area ? c => string.Equals(c.GridArea, area, StringComparison.OrdinalIgnoreCase) : null,
            orderKey: static c => c.End);
        return new CertificatePage(page, bodies);
    }

    private static readonly Page<Certificate> Example = new()
    {
        Items =
        [
            new Certificate
            {
                Id = new CertificateId { Registry = "Energinet.dk", StreamId = new Guid("0b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21") },
                Type = "production",
                GridArea = "DK1",
                Start = new DateTimeOffset(2026, 11, 24, 13, 0, 0, TimeSpan.Zero),
                End = new DateTimeOffset(2026, 11, 24, 14, 0, 0, TimeSpan.Zero),
                QuantityWh = 212_345,
                Attributes = new Dictionary<string, string>
                {
                    ["energyTag_GcIssueMarketZone"] = "DK1",
                    ["energyTag_ProducedEnergySource"] = "F01050100",
                    ["energyTag_ProducedEnergyTechnology"] = "T020001",
                    ["isTrial"] = "false",
                },
            },
        ],
        NextCursor = "djE6MTAwOjNxV2Z0SjR6S2d2a0Iydkw",
        TotalCount = 216,
    };
}
