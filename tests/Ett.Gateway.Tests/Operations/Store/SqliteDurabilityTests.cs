using System.Data.Common;
using System.Text;
using Ett.Gateway.Operations.Store;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Microsoft.Extensions.Time.Testing;

namespace Ett.Gateway.Tests.Operations.Store;

/// <summary>
/// SQLite syncs its write-ahead log to disk only where exactly-once needs it: a leg's intent, committed before ETT's
/// POST. Every other commit survives a crash of the process (it is in the log) without waiting for the disk. Writers
/// of one process take turns rather than sleeping in SQLite's busy handler.
/// </summary>
public sealed class SqliteDurabilityTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ett-store-").FullName;
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }

    private string File => Path.Combine(directory, "operations.db");

    private static async Task<string> PragmaAsync(DbConnection connection, string name)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    [Fact]
    public async Task Connections_log_ahead_and_sync_at_checkpoints_while_a_durable_transaction_syncs_its_commit()
    {
        await using var database = new SqliteStoreDatabase(File);

        await using (var connection = await database.OpenAsync(CancellationToken.None))
        {
            Assert.Equal("wal", await PragmaAsync(connection, "journal_mode"));
            Assert.Equal("1", await PragmaAsync(connection, "synchronous")); // NORMAL
            await using var transaction = await database.BeginDurableTransactionAsync(connection, CancellationToken.None);
            Assert.Equal("2", await PragmaAsync(connection, "synchronous")); // FULL
            await transaction.CommitAsync();
        }

        // The pooled connection comes back with FULL; opening it sets NORMAL again, and keeps the rest as first set.
        await using var reused = await database.OpenAsync(CancellationToken.None);
        Assert.Equal("1", await PragmaAsync(reused, "synchronous"));
        // A second handle, opened beside the pooled one, is configured on its first open.
        await using var second = await database.OpenAsync(CancellationToken.None);
        foreach (var connection in new[] { reused, second })
        {
            Assert.Equal("1", await PragmaAsync(connection, "synchronous"));
            Assert.Equal("1", await PragmaAsync(connection, "foreign_keys"));
            Assert.Equal("10000", await PragmaAsync(connection, "busy_timeout"));
        }
        Assert.NotSame(((SqliteConnection)reused).Handle, ((SqliteConnection)second).Handle);
    }

    [Fact]
    public async Task Of_a_transfers_writes_only_the_legs_intent_waits_for_the_disk()
    {
        await using var database = new CountingDatabase(new SqliteStoreDatabase(File));
        var store = new SqlOperationsStore(database, time, TimeSpan.FromHours(24));
        var fingerprint = RequestFingerprint.Compute("POST", "/organizations/x/transfers", Encoding.UTF8.GetBytes("{}"));

        var started = Assert.IsType<IdempotencyBegin.Started>(await store.TryBeginAsync("app-a", "key-1", fingerprint, TimeSpan.FromMinutes(1), CancellationToken.None));
        var operation = (await store.CreateOperationAsync(new NewOperation
        {
            OrganizationId = Guid.Parse("8f9a2c1e-0000-4000-8000-000000000001"),
            CallerId = "app-a",
            Kind = OperationKind.Transfer,
            RequestedWh = 1000,
            RequestJson = "{}",
            Legs = [new PlannedLeg { ProductionCertificate = new CertificateRef("Energinet.dk", Guid.NewGuid()), ReceiverId = Guid.NewGuid(), QuantityWh = 1000 }],
        }, started.Lease, CancellationToken.None))!;
        var leg = operation.Legs[0].Id;
        Assert.True(await store.RenewLeaseAsync(started.Lease, TimeSpan.FromMinutes(1), CancellationToken.None));
        Assert.Equal(0, database.DurableTransactions);

        Assert.True(await store.RecordIntentAsync(leg, CancellationToken.None));
        Assert.Equal(1, database.DurableTransactions);

        Assert.True(await store.RecordSubmittedAsync(leg, Guid.NewGuid(), CancellationToken.None));
        Assert.True(await store.SetLegStatusAsync(leg, LegStatus.Submitted, LegStatus.Completed, null, CancellationToken.None));
        Assert.True(await store.CompleteAsync(started.Lease, new StoredResponse(202, null, new Dictionary<string, string>(), []), null, CancellationToken.None));
        Assert.Equal(1, database.DurableTransactions);
        Assert.Equal(OperationStatus.Completed, (await store.GetOperationAsync(operation.Id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Writers_of_one_process_take_turns_while_readers_go_on()
    {
        await using var database = new SqliteStoreDatabase(File);
        var first = await database.OpenForWritingAsync(CancellationToken.None);

        var second = database.OpenForWritingAsync(CancellationToken.None);
        Assert.False(second.IsCompleted);
        await using (var reader = await database.OpenAsync(CancellationToken.None))
        {
            Assert.Equal("wal", await PragmaAsync(reader, "journal_mode"));
        }
        Assert.False(second.IsCompleted);

        await first.DisposeAsync();
        await using var next = await second;
        Assert.Equal("1", await PragmaAsync(next, "synchronous"));
    }

    [Fact]
    public async Task Every_write_goes_through_one_handle_whose_page_cache_readers_never_invalidate()
    {
        await using var database = new SqliteStoreDatabase(File);
        sqlite3 handle;
        await using (var first = await database.OpenForWritingAsync(CancellationToken.None))
        {
            handle = ((SqliteConnection)first).Handle!;
        }

        // A reader holding its own handle meanwhile does not make the next writer open another one.
        await using var reader = await database.OpenAsync(CancellationToken.None);
        Assert.NotSame(handle, ((SqliteConnection)reader).Handle);
        for (var write = 0; write < 3; write++)
        {
            await using var next = await database.OpenForWritingAsync(CancellationToken.None);
            Assert.Same(handle, ((SqliteConnection)next).Handle);
        }
    }

    [Fact]
    public async Task A_writer_that_gives_up_waiting_or_fails_to_open_leaves_the_turn_to_the_next()
    {
        await using var database = new SqliteStoreDatabase(File);
        var first = await database.OpenForWritingAsync(CancellationToken.None);
        using var giveUp = new CancellationTokenSource();
        var impatient = database.OpenForWritingAsync(giveUp.Token);
        giveUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        await first.DisposeAsync();
        await (await database.OpenForWritingAsync(CancellationToken.None)).DisposeAsync();

        // Turns that leaked would make the second attempt wait and fail as "locked" (SQLITE_BUSY) instead.
        await using var missing = new SqliteStoreDatabase(Path.Combine(directory, "no-such-directory", "operations.db"));
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var failed = await Assert.ThrowsAsync<SqliteException>(() => missing.OpenForWritingAsync(CancellationToken.None));
            Assert.Equal(14, failed.SqliteErrorCode); // SQLITE_CANTOPEN
        }
    }

    /// <summary>The SQL texts of the statements SQLite holds prepared on a handle (sqlite3_next_stmt walks them).</summary>
    private static List<string> PreparedStatements(sqlite3 handle)
    {
        var texts = new List<string>();
        for (var statement = raw.sqlite3_next_stmt(handle, null); statement is not null && !statement.IsInvalid; statement = raw.sqlite3_next_stmt(handle, statement))
            texts.Add(raw.sqlite3_sql(statement).utf8_to_string());
        return texts;
    }

    private static async Task<long> CountAsync(DbConnection connection) =>
        Convert.ToInt64(await Sql.ScalarAsync(connection, null, "SELECT COUNT(*) FROM t", [], CancellationToken.None), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_writers_statement_is_prepared_once_and_run_again_in_every_later_turn()
    {
        await using var database = new SqliteStoreDatabase(File);
        const string insert = "INSERT INTO t (x) VALUES (@x)";
        sqlite3 handle;
        await using (var first = await database.OpenForWritingAsync(CancellationToken.None))
        {
            handle = ((SqliteConnection)first).Handle!;
            // SQLitePCL walks the statements prepared from here on.
            handle.enable_sqlite3_next_stmt(true);
            await Sql.ExecuteAsync(first, null, "CREATE TABLE t (x INTEGER NOT NULL)", [], CancellationToken.None);
        }

        for (var turn = 1; turn <= 3; turn++)
        {
            await using var writer = await database.OpenForWritingAsync(CancellationToken.None);
            await using var transaction = await writer.BeginTransactionAsync();
            Assert.Equal(1, await Sql.ExecuteAsync(writer, transaction, insert, [("x", turn)], CancellationToken.None));
            await transaction.CommitAsync();
        }

        // One statement for the INSERT, made in the first turn and still prepared after the last: not parsed three times.
        Assert.Single(PreparedStatements(handle), insert);
        await using var reader = await database.OpenAsync(CancellationToken.None);
        Assert.Equal(3, await CountAsync(reader));
        // A parameter left out is refused, never bound from the last run.
        await using var again = await database.OpenForWritingAsync(CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Sql.ExecuteAsync(again, null, insert, [], CancellationToken.None));
    }

    [Fact]
    public async Task A_transaction_a_writer_left_unfinished_is_rolled_back_before_the_next_writer_writes()
    {
        await using var database = new SqliteStoreDatabase(File);
        await using (var setup = await database.OpenForWritingAsync(CancellationToken.None))
            await Sql.ExecuteAsync(setup, null, "CREATE TABLE t (x INTEGER NOT NULL)", [], CancellationToken.None);

        // Neither committed nor disposed: the writer just gives the connection back.
        var careless = await database.OpenForWritingAsync(CancellationToken.None);
        var forgotten = await careless.BeginTransactionAsync();
        await Sql.ExecuteAsync(careless, forgotten, "INSERT INTO t (x) VALUES (1)", [], CancellationToken.None);
        await careless.DisposeAsync();

        await using var next = await database.OpenForWritingAsync(CancellationToken.None);
        Assert.Equal(1, raw.sqlite3_get_autocommit(((SqliteConnection)next).Handle!)); // not inside the forgotten one
        Assert.Equal(0, await CountAsync(next));
        await using var own = await next.BeginTransactionAsync();
        Assert.Equal(1, await Sql.ExecuteAsync(next, own, "INSERT INTO t (x) VALUES (2)", [], CancellationToken.None));
        await own.CommitAsync();
        Assert.Equal(1, await CountAsync(next));
    }

    [Fact]
    public async Task A_writer_left_inside_a_transaction_it_began_in_sql_is_closed_and_the_next_writer_gets_a_fresh_handle()
    {
        await using var database = new SqliteStoreDatabase(File);
        sqlite3 stuck;
        await using (var setup = await database.OpenForWritingAsync(CancellationToken.None))
            await Sql.ExecuteAsync(setup, null, "CREATE TABLE t (x INTEGER NOT NULL)", [], CancellationToken.None);
        await using (var careless = await database.OpenForWritingAsync(CancellationToken.None))
        {
            stuck = ((SqliteConnection)careless).Handle!;
            await Sql.ExecuteAsync(careless, null, "BEGIN IMMEDIATE", [], CancellationToken.None);
            await Sql.ExecuteAsync(careless, null, "INSERT INTO t (x) VALUES (1)", [], CancellationToken.None);
        }

        await using var next = await database.OpenForWritingAsync(CancellationToken.None);
        Assert.NotSame(stuck, ((SqliteConnection)next).Handle);
        Assert.Equal(1, raw.sqlite3_get_autocommit(((SqliteConnection)next).Handle!));
        Assert.Equal(0, await CountAsync(next));
        Assert.Equal(1, await Sql.ExecuteAsync(next, null, "INSERT INTO t (x) VALUES (2)", [], CancellationToken.None));
    }
}
