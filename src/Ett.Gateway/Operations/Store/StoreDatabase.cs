using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Npgsql;

namespace Ett.Gateway.Operations.Store;

/// <summary>What differs between the two databases; the SQL itself is shared (both speak ON CONFLICT and RETURNING).</summary>
internal abstract class StoreDatabase : IAsyncDisposable
{
    /// <summary>Column type for byte strings in DDL.</summary>
    public abstract string BytesType { get; }

    /// <summary>A connection for reading.</summary>
    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>A connection for work that writes (a reading start included), held for that work only.</summary>
    public virtual Task<DbConnection> OpenForWritingAsync(CancellationToken cancellationToken) => OpenAsync(cancellationToken);

    /// <summary>Serializes schema migration between instances starting at once; holds until the transaction ends.</summary>
    public abstract Task LockSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>
    /// Serializes reservations of one organization across instances; holds until the transaction ends. Only the short
    /// step that reads reserved quantity and records the new legs runs under it, never an ETT call.
    /// </summary>
    public abstract Task LockOrganizationAsync(DbConnection connection, DbTransaction transaction, Guid organizationId, CancellationToken cancellationToken);

    /// <summary>Appended to a row-selecting subquery so that instances claiming work at once skip each other's rows.</summary>
    public abstract string SkipLocked { get; }

    /// <summary>
    /// A transaction whose commit is on disk when it returns, power loss included: for a leg's intent, which must
    /// outlive anything before ETT's POST. Other commits may be lighter where the database allows it.
    /// </summary>
    public virtual async Task<DbTransaction> BeginDurableTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(cancellationToken);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

internal sealed class SqliteStoreDatabase(string path) : StoreDatabase
{
    private readonly string connectionString = ConnectionString(path, SqliteCacheMode.Default);

    /// <summary>
    /// Writers' connections come from a pool of their own (pools are per connection string; a private cache is what
    /// SQLite gives by default anyway). Writers take turns, so that pool holds one handle, reused by every write: SQLite
    /// drops a connection's page cache whenever another connection wrote since its last transaction, so writes that
    /// went through the readers' handles in turn started from a cold cache, read every page again, and did so while
    /// every other writer waited.
    /// </summary>
    private readonly string writerConnectionString = ConnectionString(path, SqliteCacheMode.Private);

    private static string ConnectionString(string path, SqliteCacheMode cache) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = cache,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    private int walEnabled;

    /// <summary>
    /// The pooled SQLite handles already configured, and whether the handle's last transaction was durable (it then
    /// still syncs every commit): a pooled handle keeps its settings, so they are set once, not on every open.
    /// </summary>
    private readonly ConditionalWeakTable<sqlite3, SyncMode> configured = new();

    private sealed class SyncMode
    {
        public bool Full;
    }

    /// <summary>
    /// SQLite lets one writer into the file at a time and puts the others to sleep and retry (its busy handler, then
    /// Microsoft.Data.Sqlite's 150 ms sleeps), each blocking a thread: writers of this process take turns instead,
    /// waiting without a thread, so the next one writes the moment the last one is done. Other processes on the file
    /// still meet busy_timeout.
    /// </summary>
    private readonly SemaphoreSlim writerTurn = new(1, 1);

    private static readonly TimeSpan WriterTurnTimeout = TimeSpan.FromSeconds(30);

    public override string BytesType => "BLOB";

    public override Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        OpenAsync(new SqliteConnection(connectionString), cancellationToken);

    /// <summary>The one writer connection, opened at the first write and kept open (so its statements stay prepared).</summary>
    private WriterConnection? writer;

    public override async Task<DbConnection> OpenForWritingAsync(CancellationToken cancellationToken)
    {
        // As long as SQLite itself would wait: a turn never given back (a connection never closed) fails as "locked".
        if (!await writerTurn.WaitAsync(WriterTurnTimeout, cancellationToken))
            throw new SqliteException($"No turn to write within {WriterTurnTimeout.TotalSeconds} s: database is locked.", 5 /* SQLITE_BUSY */);
        try
        {
            if (writer is { Broken: true } broken)
            {
                writer = null;
                await broken.DisposeForGoodAsync();
            }
            if (writer is null)
            {
                var opened = new WriterConnection(writerConnectionString, writerTurn);
                try
                {
                    await opened.OpenAsync(cancellationToken);
                    await ConfigureAsync(opened, cancellationToken);
                }
                catch
                {
                    await opened.DisposeForGoodAsync();
                    throw;
                }
                writer = opened;
            }
            else await ConfigureAsync(writer, cancellationToken);
            writer.Lease();
            return writer;
        }
        catch
        {
            writerTurn.Release();
            throw;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref writer, null) is { } last) await last.DisposeForGoodAsync();
    }

    /// <summary>
    /// The writer connection, lent to one writer at a time: closing (or disposing) it gives the turn back and leaves
    /// it open, so that the statements it prepared are prepared the next time, instead of parsed and planned again
    /// for every write (Microsoft.Data.Sqlite keeps a statement per command, and no command outlives a close). Given
    /// back inside a transaction (one a writer forgot to finish, begun by the connection or in SQL), it is closed for
    /// good, which rolls that transaction back, and the next writer opens a fresh one.
    /// </summary>
    private sealed class WriterConnection(string connectionString, SemaphoreSlim turn) : SqliteConnection(connectionString), Sql.IStatementCache
    {
        // The store's SQL texts are fixed but for a few IN lists: past this many, commands are not kept.
        private const int MaxStatements = 128;
        private readonly Dictionary<string, SqliteCommand> statements = new(StringComparer.Ordinal);
        private int leased;
        private bool disposing;

        /// <summary>Given back inside a transaction: closed for good instead of lent again.</summary>
        public bool Broken { get; private set; }

        public void Lease() => Volatile.Write(ref leased, 1);

        public DbCommand Rent(string sql)
        {
            if (statements.Remove(sql, out var kept)) return kept;
            var command = CreateCommand();
            command.CommandText = sql;
            return command;
        }

        public ValueTask ReturnAsync(DbCommand command)
        {
            if (disposing || statements.Count >= MaxStatements || !statements.TryAdd(command.CommandText, (SqliteCommand)command))
                return command.DisposeAsync();
            command.Transaction = null;
            command.Parameters.Clear();
            return ValueTask.CompletedTask;
        }

        public override void Close()
        {
            if (disposing)
            {
                base.Close();
                return;
            }
            if (Interlocked.Exchange(ref leased, 0) == 0) return;
            // SQLite's own word on whether the handle is inside a transaction, however it was begun.
            if (Handle is { } handle && raw.sqlite3_get_autocommit(handle) == 0) Broken = true;
            turn.Release();
        }

        public async ValueTask DisposeForGoodAsync()
        {
            disposing = true;
            // Closed for real, not pooled: a pooled handle would keep the transaction it is in (closing rolls it back).
            if (Broken) ClearPool(this);
            foreach (var command in statements.Values) await command.DisposeAsync();
            statements.Clear();
            await base.DisposeAsync();
        }
    }

    private async Task<DbConnection> OpenAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await connection.OpenAsync(cancellationToken);
            return await ConfigureAsync(connection, cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task<DbConnection> ConfigureAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        // WAL lets readers run beside the single writer; the journal mode is stored in the file, so set it once.
        // synchronous = NORMAL: a commit survives the process crashing, and only a power loss may lose the last
        // ones; it syncs at checkpoints instead of at every commit. A leg's intent syncs (BeginDurableTransactionAsync),
        // and the sync of the write-ahead log takes every earlier commit with it.
        const string perConnection = "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";
        var handle = connection.Handle!;
        if (!configured.TryGetValue(handle, out var mode))
        {
            await ExecuteAsync(connection, Interlocked.Exchange(ref walEnabled, 1) == 0 ? "PRAGMA journal_mode = WAL; " + perConnection : perConnection, cancellationToken);
            configured.AddOrUpdate(handle, new SyncMode());
        }
        else if (mode.Full)
        {
            await ExecuteAsync(connection, "PRAGMA synchronous = NORMAL", cancellationToken);
            mode.Full = false;
        }
        return connection;
    }

    // Microsoft.Data.Sqlite begins transactions with BEGIN IMMEDIATE, which already takes the single write lock.
    public override Task LockSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    // BEGIN IMMEDIATE serializes every writer of the file, other processes included, so reservations are too.
    public override Task LockOrganizationAsync(DbConnection connection, DbTransaction transaction, Guid organizationId, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    // SQLite has one writer at a time: a claiming UPDATE is atomic without row locks.
    public override string SkipLocked => "";

    // The pooled connection keeps FULL until its next OpenAsync sets NORMAL again.
    public override async Task<DbTransaction> BeginDurableTransactionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        configured.GetOrCreateValue(((SqliteConnection)connection).Handle!).Full = true;
        await ExecuteAsync(connection, "PRAGMA synchronous = FULL", cancellationToken);
        return await connection.BeginTransactionAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(DbConnection connection, string pragmas, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

internal sealed class PostgresStoreDatabase(string connectionString) : StoreDatabase
{
    // Any fixed number: the advisory lock that makes concurrent start-ups migrate one after the other.
    private const long SchemaLockId = 0x0E77_0001;

    private readonly NpgsqlDataSource dataSource = NpgsqlDataSource.Create(connectionString);

    public override string BytesType => "BYTEA";

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken);

    public override async Task LockSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT pg_advisory_xact_lock({SchemaLockId})";
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task LockOrganizationAsync(DbConnection connection, DbTransaction transaction, Guid organizationId, CancellationToken cancellationToken)
    {
        // The two-key form keeps these locks apart from the schema lock; a hash collision only serializes a little more.
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT pg_advisory_xact_lock({ReservationLockClass}, hashtext(@organization))";
        command.Parameters.Add(new NpgsqlParameter("organization", organizationId.ToString("D")));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private const int ReservationLockClass = 0x0E77_0002;

    public override string SkipLocked => " FOR UPDATE SKIP LOCKED";

    public override ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
