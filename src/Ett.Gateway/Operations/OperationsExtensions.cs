using Ett.Gateway.Errors;
using Ett.Gateway.OpenApi;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Operations;

public static class OperationsExtensions
{
    /// <summary>
    /// Durable, idempotent operations: the store (<see cref="OperationsStoreExtensions.AddOperationsStore"/>), the
    /// Idempotency-Key handling, the leg runner and the background worker that polls, reconciles and purges.
    /// </summary>
    public static IServiceCollection AddOperations(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOperationsStore(configuration);
        services.AddOptions<OperationsOptions>().Bind(configuration.GetSection(OperationsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OperationsOptions>, OperationsOptionsValidator>();
        services.AddSingleton<IdempotentRequests>();
        services.AddSingleton<IEttLegSender, EttLegSender>();
        services.AddSingleton<OperationRunner>();
        services.AddSingleton<LegReconciler>();
        services.AddSingleton<AvailableCertificates>();
        services.AddSingleton<OperationsWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<OperationsWorker>());
        return services;
    }

    /// <summary>
    /// Documents what an operation-starting POST answers: 202 with the operation, 400 (validation or Idempotency-Key),
    /// 404, 409 (key in flight) and 422 (key reused, or not enough to do).
    /// </summary>
    internal static RouteHandlerBuilder ProducesOperation(this RouteHandlerBuilder endpoint) =>
        endpoint.Produces<OperationView>(StatusCodes.Status202Accepted)
            .WithResponseExample(StatusCodes.Status202Accepted,
                "The operation was accepted; `Location: /operations/{operationId}` follows it. A replay returns these exact bytes.", OperationView.Example)
            .WithProblemResponse(StatusCodes.Status400BadRequest,
                $"No usable Idempotency-Key ({ProblemTypes.IdempotencyKeyRequired}), or an invalid field or organizationId ({ProblemTypes.Validation}).")
            .WithProblemResponse(StatusCodes.Status404NotFound, $"The partner or a named certificate does not exist ({ProblemTypes.NotFound}).")
            .WithProblemResponse(StatusCodes.Status409Conflict,
                $"An earlier request with this Idempotency-Key is still running ({ProblemTypes.IdempotencyKeyInFlight}); retry after Retry-After.")
            .WithProblemResponse(StatusCodes.Status422UnprocessableEntity,
                $"The key was used with another request ({ProblemTypes.IdempotencyKeyReused}), not enough is available " +
                $"({ProblemTypes.InsufficientQuantity}, with availableWh), or the certificates cannot go together ({ProblemTypes.Validation}).");

    /// <summary><c>GET /operations/{operationId}</c> and <c>GET /organizations/{organizationId}/operations</c>.</summary>
    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder endpoints)
    {
        OperationsEndpoints.Map(endpoints);
        return endpoints;
    }
}
