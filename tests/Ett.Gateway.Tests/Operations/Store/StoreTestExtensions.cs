using Ett.Gateway.Operations.Store;

namespace Ett.Gateway.Tests.Operations.Store;

internal static class StoreTestExtensions
{
    /// <summary>A reservation whose plan is fixed: the operation as given, whatever is reserved.</summary>
    public static async Task<OperationRecord?> CreateOperationAsync(this IOperationStore store, NewOperation operation, IdempotencyLease lease, CancellationToken cancellationToken) =>
        await store.ReserveAsync(operation.OrganizationId, lease, DateTimeOffset.UnixEpoch, _ => operation, cancellationToken) is Reservation.Created created
            ? created.Operation
            : null;
}
