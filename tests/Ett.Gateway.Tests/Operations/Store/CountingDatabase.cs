using System.Data.Common;
using Ett.Gateway.Operations.Store;

namespace Ett.Gateway.Tests.Operations.Store;

/// <summary>A store's database, counting the writes it lets in (writer turns) and the transactions begun durable.</summary>
internal sealed class CountingDatabase(StoreDatabase inner) : StoreDatabase
{
    public int Writes;
    public int DurableTransactions;

    public override string BytesType => inner.BytesType;
    public override string SkipLocked => inner.SkipLocked;
    public override Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => inner.OpenAsync(cancellationToken);

    public override Task<DbConnection> OpenForWritingAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Writes);
        return inner.OpenForWritingAsync(cancellationToken);
    }

    public override Task LockSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        inner.LockSchemaAsync(connection, transaction, cancellationToken);

    public override Task LockOrganizationAsync(DbConnection connection, DbTransaction transaction, Guid organizationId, CancellationToken cancellationToken) =>
        inner.LockOrganizationAsync(connection, transaction, organizationId, cancellationToken);

    public override Task<DbTransaction> BeginDurableTransactionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref DurableTransactions);
        return inner.BeginDurableTransactionAsync(connection, cancellationToken);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
