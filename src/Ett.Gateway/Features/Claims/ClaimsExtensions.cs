using Ett.Gateway.Features;
using System.ComponentModel;
using Ett.Gateway.Callers;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Operations;
using Ett.Gateway.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ett.Gateway.Features.Claims;

public static class ClaimsExtensions
{
    public static IServiceCollection AddClaims(this IServiceCollection services) => services.AddSingleton<ClaimEnergy>();

    /// <summary><c>POST /organizations/{organizationId}/claims</c>: claim production against consumption as one idempotent operation.</summary>
    public static IEndpointRouteBuilder MapClaims(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapOrganizationGroup("/claims")
            .WithTags("Claims")
            .WithRequestValidation()
            .ProducesUpstreamProblems()
            .MapPost("", ClaimAsync)
            .RequireAuthorization(CallerPolicies.Claim)
            .WithName("ClaimEnergy")
            .WithSummary("Claim production against consumption")
            .WithDescription("Either one explicit pair (`productionCertificateId`, `consumptionCertificateId`, `quantityWh`; checked with two ETT reads) " +
                "or a period (`from`, `to`, optional `gridArea`): the gateway pairs available production and consumption certificates of the same hour " +
                "and grid area (ETT's registry fails any other pair), oldest first, each claim for the smaller of the two remainders. " +
                "Answers 202 with the operation and `Location: /operations/{operationId}`. Requires `Idempotency-Key`, as transfers do. " +
                "A pair that cannot be claimed, or a period with nothing to pair, answers 422 and nothing is sent to ETT.")
            .ProducesOperation();
        return endpoints;
    }

    private static Task<Results<IdempotentResponse, ProblemHttpResult>> ClaimAsync(
        Guid organizationId, ClaimRequest request, [FromHeader(Name = IdempotentRequests.HeaderName), Description(IdempotentRequests.HeaderDescription)] string? idempotencyKey,
        HttpContext http, IdempotentRequests idempotency, ClaimEnergy claims) =>
        idempotency.ExecuteAsync(http, idempotencyKey, request, (attempt, cancellationToken) => claims.RunAsync(organizationId, request, attempt, cancellationToken));
}
