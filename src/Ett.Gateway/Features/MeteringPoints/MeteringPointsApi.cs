using Ett.Gateway.Features;
using Ett.Gateway.Callers;
using Ett.Gateway.Features.Contracts;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Upstream;
using Ett.Gateway.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ett.Gateway.Features.MeteringPoints;

public static class MeteringPointsApi
{
    /// <summary><c>GET /organizations/{organizationId}/metering-points</c>.</summary>
    public static IEndpointRouteBuilder MapMeteringPoints(this IEndpointRouteBuilder app)
    {
        var meteringPoints = app.MapOrganizationGroup("/metering-points")
            .WithTags("Metering points")
            .RequireAuthorization(CallerPolicies.Read)
            .WithRequestValidation()
            .ProducesUpstreamProblems();

        meteringPoints.MapGet("", ListMeteringPoints)
            .WithName("ListMeteringPoints")
            .WithSummary("Metering points and whether they are activated")
            .WithDescription("The organization's metering points in DataHub, as ETT knows them, each with whether a contract "
                + "is in force now (`active`, `contractId`), so ETT issues certificates for it. Activate one with POST "
                + "/organizations/{organizationId}/contracts. `relationStatus` is `pending` while DataHub has not yet released "
                + "the organization's metering points to ETT; the list is then empty. Two ETT calls: metering points and contracts.")
            .WithResponseExample(StatusCodes.Status200OK, "The metering points, with the DataHub relation state.", new MeteringPointList
            {
                RelationStatus = RelationStatus.Created,
                MeteringPoints =
                [
                    new()
                    {
                        Gsrn = "571313100000000011",
                        Type = MeteringPointType.Production,
                        GridArea = "542",
                        BiddingZone = "DK1",
                        SubMeterType = "physical",
                        Address = new()
                        {
                            Address1 = "Vindmøllevej 1", Address2 = null, Locality = null, City = "Aarhus C", PostalCode = "8000",
                            Country = "DK", MunicipalityCode = "751", CitySubDivisionName = "Aarhus",
                        },
                        Technology = new() { AibFuelCode = "F01050100", AibTechCode = "T020001" },
                        ConsumerCvr = "39315042",
                        CanIssueCertificates = true,
                        Capacity = "3600",
                        Active = true,
                        ContractId = new Guid("0f9a8d52-3c1e-4a36-9e0b-5d7c2b1a4e11"),
                    },
                ],
            });
        return app;
    }

    /// <summary>The organization's metering points with their activation state.</summary>
    private static async Task<Ok<MeteringPointList>> ListMeteringPoints(
        [AsParameters] MeteringPointsQuery query, EttClient ett, TimeProvider time, CancellationToken cancellationToken)
    {
        var pointsCall = ett.GetMeteringPointsAsync(query.OrganizationId, cancellationToken);
        var contractsCall = ett.GetContractsAsync(query.OrganizationId, cancellationToken);
        await Task.WhenAll(pointsCall, contractsCall);
        var (points, contracts) = (pointsCall.Result, contractsCall.Result);

        var now = time.GetUtcNow();
        var wanted = ContractMapping.TypeOf(query.Type);
        var inForce = contracts.Where(c => c.IsInForceAt(now)).DistinctBy(c => c.Gsrn).ToDictionary(c => c.Gsrn, c => c.Id);
        var meteringPoints = points.Items
            .Select(point => (Point: point, Type: ContractMapping.TypeOf(point.MeteringPointType)))
            // ETT documents only production and consumption (it filters child meters out): anything else is skipped, not guessed.
            .Where(entry => entry.Type is { } type && (wanted is null || type == wanted))
            .Select(entry => new MeteringPoint
            {
                Gsrn = entry.Point.Gsrn,
                Type = entry.Type!.Value,
                GridArea = entry.Point.GridArea,
                BiddingZone = entry.Point.BiddingZone,
                SubMeterType = entry.Point.SubMeterType?.ToLowerInvariant(),
                Address = MeteringPointAddress.From(entry.Point.Address),
                Technology = Technology.From(entry.Point.Technology),
                ConsumerCvr = entry.Point.ConsumerCvr,
                CanIssueCertificates = entry.Point.CanBeUsedForIssuingCertificates,
                Capacity = entry.Point.Capacity,
                Active = inForce.ContainsKey(entry.Point.Gsrn),
                ContractId = inForce.TryGetValue(entry.Point.Gsrn, out var contractId) ? contractId : null,
            })
            .ToList();

        // ETT's status is DataHub's relation state, PascalCase; only "Pending" means the list is not there yet.
        var relation = string.Equals(points.Status, "Pending", StringComparison.OrdinalIgnoreCase) ? RelationStatus.Pending : RelationStatus.Created;
        return TypedResults.Ok(new MeteringPointList { RelationStatus = relation, MeteringPoints = meteringPoints });
    }
}
