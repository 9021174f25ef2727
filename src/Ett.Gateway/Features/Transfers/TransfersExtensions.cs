using Ett.Gateway.Features;
using System.ComponentModel;
using Ett.Gateway.Callers;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Operations;
using Ett.Gateway.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ett.Gateway.Features.Transfers;

public static class TransfersExtensions
{
    public static IServiceCollection AddTransfers(this IServiceCollection services)
    {
        services.AddSingleton<TransferToPartner>();
        services.Configure<Microsoft.AspNetCore.OpenApi.OpenApiOptions>(OpenApiExtensions.GatewayDocument,
            options => options.AddSchemaTransformer(HashedAttributesSchema.Transform));
        return services;
    }

    /// <summary><c>POST /organizations/{organizationId}/transfers</c>: transfer to a partner as one idempotent operation.</summary>
    public static IEndpointRouteBuilder MapTransfers(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapOrganizationGroup("/transfers")
            .WithTags("Transfers")
            .WithRequestValidation()
            .ProducesUpstreamProblems()
            .MapPost("", TransferAsync)
            .RequireAuthorization(CallerPolicies.Transfer)
            .WithName("TransferToPartner")
            .WithSummary("Transfer energy to a partner")
            .WithDescription("Selects the organization's available production certificates oldest first (optionally within `from`/`to`, one `gridArea` " +
                "or the given `certificateIds`) and sends one ETT transfer per certificate needed; ETT slices the last. " +
                "`hashedAttributes` is \"none\" (default), \"all\" or a list of names; the gateway sends ETT's exact, case-sensitive names. " +
                "Answers 202 with the operation and `Location: /operations/{operationId}`. " +
                "Requires `Idempotency-Key` (1 to 255 visible ASCII characters): a retry with the same key and body gets the same response, byte for byte, " +
                "and never transfers twice; keys are kept at least 24 hours (`Operations:IdempotencyRetention`). " +
                "Not enough available quantity answers 422 with `availableWh`, and nothing is sent to ETT.")
            .ProducesOperation();
        return endpoints;
    }

    private static Task<Results<IdempotentResponse, ProblemHttpResult>> TransferAsync(
        Guid organizationId, TransferRequest request, [FromHeader(Name = IdempotentRequests.HeaderName), Description(IdempotentRequests.HeaderDescription)] string? idempotencyKey,
        HttpContext http, IdempotentRequests idempotency, TransferToPartner transfers, OrganizationAccess access) =>
        // A partner organization is registered on first use, which writes on its wallet: the caller must hold it too,
        // checked before the key is journaled.
        request.PartnerOrganizationId is { } partner && !access.Allows(http.User, partner)
            ? Task.FromResult<Results<IdempotentResponse, ProblemHttpResult>>(OrganizationAccess.Refusal(partner, "partnerOrganizationId"))
            : idempotency.ExecuteAsync(http, idempotencyKey, request, (attempt, cancellationToken) => transfers.RunAsync(organizationId, request, attempt, cancellationToken));
}
