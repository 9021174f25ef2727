using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ett.Sandbox.Ett;

internal static class MeasurementsApi
{
    public static void Map(IEndpointRouteBuilder ett) =>
        ett.MapGet("/api/measurements/meteringpoints", GetMeteringPoints).AddEndpointFilter(new EttGate(OrganizationCheck.Service));

    private static IResult GetMeteringPoints(HttpContext http, SandboxState state)
    {
        var organizationId = EttGate.OrganizationOf(http);
        lock (state.Sync)
        {
            var result = state.Data.MeteringPoints
                .Where(p => p.OrganizationId == organizationId)
                .Select(p => new
                {
                    gsrn = p.Gsrn,
                    gridArea = p.GridArea,
                    meteringPointType = p.MeteringPointType,
                    subMeterType = p.SubMeterType,
                    address = p.Address,
                    technology = p.Technology,
                    consumerCvr = p.ConsumerCvr,
                    canBeUsedForIssuingCertificates = p.CanBeUsedForIssuingCertificates,
                    capacity = p.Capacity,
                    biddingZone = p.BiddingZone,
                })
                .ToList();
            // Measurements MeteringPointsController.cs: relation?.Status ?? (count != 0 ? Created : Pending); the sandbox keeps no relations.
            return EttResults.Ok(new { result, status = result.Count != 0 ? "Created" : "Pending" });
        }
    }
}
