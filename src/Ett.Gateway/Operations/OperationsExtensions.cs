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
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    /// <summary><c>GET /operations/{operationId}</c> and <c>GET /organizations/{organizationId}/operations</c>.</summary>
    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder endpoints)
    {
        OperationsEndpoints.Map(endpoints);
        return endpoints;
    }
}
