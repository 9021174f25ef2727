using System.Text;
using Ett.Gateway.Observability;
using Ett.Gateway.Operations.Store;
using Microsoft.Extensions.Time.Testing;

namespace Ett.Gateway.Tests.Operations.Store;

/// <summary>
/// What both stores must do, run once per store by its subclasses. Several store instances on one database stand in
/// for several gateway instances; each has its own connection pool.
/// </summary>
public abstract class OperationsStoreContract : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Retention = TimeSpan.FromHours(24);
    private const string Path = "/organizations/8f9a2c1e-0000-4000-8000-000000000001/transfers";

    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private readonly List<StoreDatabase> databases = [];
    private SqlOperationsStore store = null!;
    private readonly WorkerClaim claim = new(Guid.NewGuid(), DateTimeOffset.MaxValue);

    /// <summary>Prepares an empty database for this test.</summary>
    protected virtual Task CreateAsync() => Task.CompletedTask;

    /// <summary>A new connection pool on this test's database.</summary>
    private protected abstract Task<StoreDatabase> OpenDatabaseAsync();

    protected abstract Task DropAsync();

    public async Task InitializeAsync()
    {
        await CreateAsync();
        store = await NewInstanceAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var database in databases) await database.DisposeAsync();
        await DropAsync();
    }

    private async Task<SqlOperationsStore> NewInstanceAsync()
    {
        var database = await OpenDatabaseAsync();
        databases.Add(database);
        var instance = new SqlOperationsStore(database, time, Retention);
        await instance.InitializeAsync();
        return instance;
    }

    private static string Fingerprint(string body) => RequestFingerprint.Compute("POST", Path, Encoding.UTF8.GetBytes(body));

    private static readonly string FiveMegawattHours = Fingerprint("""{"partnerId":"p1","quantityWh":5000000}""");

    private static StoredResponse Accepted(Guid operationId) => new(
        202,
        "application/json; charset=utf-8",
        new Dictionary<string, string> { ["Location"] = $"/operations/{operationId}" },
        Encoding.UTF8.GetBytes($$"""{"operationId":"{{operationId}}","status":"accepted"}"""));

    private static async Task<IdempotencyBegin.Started> StartAsync(SqlOperationsStore on, string caller = "app-a", string key = "key-1", string? fingerprint = null) =>
        Assert.IsType<IdempotencyBegin.Started>(await on.TryBeginAsync(caller, key, fingerprint ?? FiveMegawattHours, Lease, CancellationToken.None));

    private static NewOperation Transfer(Guid? organizationId = null, params long[] quantities) => new()
    {
        OrganizationId = organizationId ?? Organization,
        CallerId = "app-a",
        Kind = OperationKind.Transfer,
        RequestedWh = quantities.Sum(),
        RequestJson = """{"partnerId":"p1"}""",
        Legs = quantities.Select(quantity => new PlannedLeg
        {
            ProductionCertificate = new CertificateRef("Energinet.dk", Guid.NewGuid()),
            ReceiverId = Receiver,
            QuantityWh = quantity,
            HashedAttributes = ["energyTag_ProductionDeviceUniqueIdentification"],
        }).ToList(),
    };

    private static readonly Guid Organization = Guid.Parse("8f9a2c1e-0000-4000-8000-000000000001");
    private static readonly Guid Receiver = Guid.Parse("2b7c4d10-0000-4000-8000-0000000000aa");

    private async Task<OperationRecord> CreateTransferAsync(params long[] quantities)
    {
        var started = await StartAsync(store, key: Guid.NewGuid().ToString());
        return (await store.CreateOperationAsync(Transfer(null, quantities), started.Lease, CancellationToken.None))!;
    }

    private async Task<OperationStatus> StatusAsync(Guid operationId) => (await store.GetOperationAsync(operationId, CancellationToken.None))!.Status;

    // ---- Idempotency keys ----

    [StoreFact]
    public async Task First_use_of_a_key_starts_a_fresh_attempt_with_a_lease()
    {
        var started = await StartAsync(store);

        Assert.False(started.IsResume);
        Assert.Null(started.OperationId);
        Assert.Equal(time.GetUtcNow() + Lease, started.LeaseExpiresAt);
        Assert.Equal(new IdempotencyLease("app-a", "key-1", started.Lease.Token), started.Lease);
    }

    [StoreFact]
    public async Task Completed_key_replays_the_stored_response_byte_for_byte()
    {
        var started = await StartAsync(store);
        var operation = await store.CreateOperationAsync(Transfer(null, 1000), started.Lease, CancellationToken.None);
        var response = Accepted(operation!.Id);
        Assert.True(await store.CompleteAsync(started.Lease, response, null, CancellationToken.None));

        var replay = Assert.IsType<IdempotencyBegin.Replay>(await store.TryBeginAsync("app-a", "key-1", FiveMegawattHours, Lease, CancellationToken.None));

        Assert.Equal(202, replay.Response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", replay.Response.ContentType);
        Assert.Equal($"/operations/{operation.Id}", Assert.Single(replay.Response.Headers, header => header.Key == "Location").Value);
        Assert.Equal(response.Body, replay.Response.Body);
        Assert.Equal(operation.Id, replay.OperationId);
    }

    [StoreFact]
    public async Task Same_key_with_another_payload_is_a_fingerprint_mismatch_in_flight_and_after_completion()
    {
        var other = Fingerprint("""{"partnerId":"p1","quantityWh":6000000}""");
        var started = await StartAsync(store);

        Assert.IsType<IdempotencyBegin.FingerprintMismatch>(await store.TryBeginAsync("app-a", "key-1", other, Lease, CancellationToken.None));
        await store.CompleteAsync(started.Lease, Accepted(Guid.NewGuid()), null, CancellationToken.None);
        Assert.IsType<IdempotencyBegin.FingerprintMismatch>(await store.TryBeginAsync("app-a", "key-1", other, Lease, CancellationToken.None));
    }

    [StoreFact]
    public async Task Same_key_while_the_first_attempt_holds_its_lease_is_in_flight()
    {
        var started = await StartAsync(store);
        time.Advance(Lease - TimeSpan.FromSeconds(1));

        var inFlight = Assert.IsType<IdempotencyBegin.InFlight>(await store.TryBeginAsync("app-a", "key-1", FiveMegawattHours, Lease, CancellationToken.None));

        Assert.Equal(started.LeaseExpiresAt, inFlight.LeaseExpiresAt);
    }

    [StoreFact]
    public async Task Keys_are_scoped_to_the_calling_identity()
    {
        await StartAsync(store, caller: "app-a");

        var other = await StartAsync(store, caller: "app-b", fingerprint: Fingerprint("""{"different":true}"""));

        Assert.False(other.IsResume);
    }

    [StoreFact]
    public async Task Retry_after_the_lease_expired_resumes_the_abandoned_attempt_and_its_operation()
    {
        var crashed = await StartAsync(store);
        var operation = await store.CreateOperationAsync(Transfer(null, 1000, 2000), crashed.Lease, CancellationToken.None);
        time.Advance(Lease);

        var resumed = await StartAsync(await NewInstanceAsync());

        Assert.True(resumed.IsResume);
        Assert.Equal(operation!.Id, resumed.OperationId);
        Assert.NotEqual(crashed.Lease.Token, resumed.Lease.Token);
    }

    [StoreFact]
    public async Task Stale_owner_is_fenced_out_once_another_attempt_took_over()
    {
        var stale = await StartAsync(store);
        time.Advance(Lease + TimeSpan.FromSeconds(1));
        var resumed = await StartAsync(store);

        Assert.False(await store.CompleteAsync(stale.Lease, Accepted(Guid.NewGuid()), null, CancellationToken.None));
        Assert.False(await store.RenewLeaseAsync(stale.Lease, Lease, CancellationToken.None));
        Assert.False(await store.ReleaseAsync(stale.Lease, CancellationToken.None));
        Assert.Null(await store.CreateOperationAsync(Transfer(null, 1000), stale.Lease, CancellationToken.None));
        Assert.True(await store.CompleteAsync(resumed.Lease, Accepted(Guid.NewGuid()), null, CancellationToken.None));
    }

    [StoreFact]
    public async Task A_keys_response_stores_the_calls_audit_record_with_it_also_when_the_lease_was_lost()
    {
        var stale = await StartAsync(store);
        time.Advance(Lease + TimeSpan.FromSeconds(1));
        var resumed = await StartAsync(store);
        var (first, second) = (Audited(1), Audited(2));

        Assert.False(await store.CompleteAsync(stale.Lease, Accepted(first.OperationId!.Value), first, CancellationToken.None));
        Assert.True(await store.CompleteAsync(resumed.Lease, Accepted(second.OperationId!.Value), second, CancellationToken.None));

        var trail = await new SqlAuditStore(store).ListAsync(new AuditQuery(null, null, null, null, null, 10, null), CancellationToken.None);
        Assert.Equal([second.AuditId, first.AuditId], trail.Select(record => record.AuditId));
        Assert.Equal(second, trail[0] with { Certificates = second.Certificates });
        Assert.Equal(second.Certificates, trail[0].Certificates);
        Assert.Equal(202, Assert.IsType<IdempotencyBegin.Replay>(await store.TryBeginAsync("app-a", "key-1", FiveMegawattHours, Lease, CancellationToken.None)).Response.StatusCode);
    }

    /// <summary>Recorded at the same instant; the trail orders them by id then.</summary>
    private AuditRecord Audited(int number) => AuditRecord.Example with
    {
        AuditId = Guid.Parse($"019ab5f2-0000-7000-8000-00000000000{number}"),
        RecordedAt = time.GetUtcNow(),
        OperationId = Guid.Parse($"019ab5f2-0000-7000-8000-10000000000{number}"),
    };

    [StoreFact]
    public async Task Renewed_lease_keeps_a_retry_out_past_the_first_expiry()
    {
        var started = await StartAsync(store);
        time.Advance(Lease - TimeSpan.FromSeconds(10));
        Assert.True(await store.RenewLeaseAsync(started.Lease, Lease, CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(30));

        var inFlight = Assert.IsType<IdempotencyBegin.InFlight>(await store.TryBeginAsync("app-a", "key-1", FiveMegawattHours, Lease, CancellationToken.None));

        Assert.Equal(time.GetUtcNow() - TimeSpan.FromSeconds(30) + Lease, inFlight.LeaseExpiresAt);
    }

    [StoreFact]
    public async Task Released_key_lets_a_retry_start_afresh_even_with_another_payload()
    {
        var started = await StartAsync(store);
        Assert.True(await store.ReleaseAsync(started.Lease, CancellationToken.None));

        var retry = await StartAsync(store, fingerprint: Fingerprint("""{"corrected":true}"""));

        Assert.False(retry.IsResume);
    }

    [StoreFact]
    public async Task Fifty_parallel_begins_with_one_key_start_exactly_one_attempt()
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            Task.Run(() => store.TryBeginAsync("app-a", "key-1", FiveMegawattHours, Lease, CancellationToken.None))));

        Assert.Single(outcomes.OfType<IdempotencyBegin.Started>());
        Assert.Equal(49, outcomes.OfType<IdempotencyBegin.InFlight>().Count());
    }

    [StoreFact]
    public async Task Two_instances_racing_for_the_same_keys_start_each_key_once()
    {
        var instances = new[] { store, await NewInstanceAsync() };
        var keys = Enumerable.Range(0, 20).Select(index => $"race-{index}").ToList();

        var outcomes = await Task.WhenAll(keys.SelectMany(key => instances.SelectMany(instance => Enumerable.Range(0, 3).Select(_ =>
            Task.Run(async () => (key, outcome: await instance.TryBeginAsync("app-a", key, FiveMegawattHours, Lease, CancellationToken.None)))))));

        Assert.All(outcomes.GroupBy(result => result.key), perKey =>
            Assert.Single(perKey, result => result.outcome is IdempotencyBegin.Started));
    }

    [StoreFact]
    public async Task Two_instances_racing_to_resume_an_expired_lease_resume_it_once()
    {
        await StartAsync(store);
        time.Advance(Lease);
        var instances = new[] { store, await NewInstanceAsync(), await NewInstanceAsync() };

        var outcomes = await Task.WhenAll(instances.SelectMany(instance => Enumerable.Range(0, 5).Select(_ =>
            Task.Run(() => instance.TryBeginAsync("app-a", "key-1", FiveMegawattHours, Lease, CancellationToken.None)))));

        Assert.True(Assert.Single(outcomes.OfType<IdempotencyBegin.Started>()).IsResume);
    }

    [StoreFact]
    public async Task Purge_forgets_completed_keys_only_after_the_retention_counted_from_completion()
    {
        var started = await StartAsync(store);
        time.Advance(TimeSpan.FromHours(1));
        await store.CompleteAsync(started.Lease, Accepted(Guid.NewGuid()), null, CancellationToken.None);

        time.Advance(Retention - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await store.PurgeExpiredAsync(CancellationToken.None));
        Assert.IsType<IdempotencyBegin.Replay>(await store.TryBeginAsync("app-a", "key-1", FiveMegawattHours, Lease, CancellationToken.None));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await store.PurgeExpiredAsync(CancellationToken.None));
        Assert.False((await StartAsync(store)).IsResume);
    }

    [StoreFact]
    public async Task Key_past_retention_is_free_again_before_any_purge_ran()
    {
        var started = await StartAsync(store);
        await store.CompleteAsync(started.Lease, Accepted(Guid.NewGuid()), null, CancellationToken.None);
        time.Advance(Retention);

        var reused = await StartAsync(store, fingerprint: Fingerprint("""{"new":"request"}"""));

        Assert.False(reused.IsResume);
    }

    [StoreFact]
    public async Task Unfinished_key_that_owns_an_operation_outlives_retention_so_no_retry_can_start_a_second_one()
    {
        var abandoned = await StartAsync(store);
        var operation = await store.CreateOperationAsync(Transfer(null, 1000), abandoned.Lease, CancellationToken.None);
        var empty = await StartAsync(store, key: "key-without-operation");
        time.Advance(Retention + Lease);

        Assert.Equal(1, await store.PurgeExpiredAsync(CancellationToken.None));
        var resumed = await StartAsync(store);
        Assert.True(resumed.IsResume);
        Assert.Equal(operation!.Id, resumed.OperationId);
        Assert.False((await StartAsync(store, key: empty.Lease.Key)).IsResume);
    }

    // ---- Operations journal ----

    [StoreFact]
    public async Task Operation_is_created_with_its_planned_legs_and_attached_to_the_key()
    {
        var started = await StartAsync(store);

        var created = await store.CreateOperationAsync(Transfer(null, 3000, 2000), started.Lease, CancellationToken.None);

        var read = await store.GetOperationAsync(created!.Id, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(OperationStatus.Accepted, read.Status);
        Assert.Equal(5000, read.RequestedWh);
        Assert.Equal(0, read.CompletedWh);
        Assert.Equal([0, 1], read.Legs.Select(leg => leg.Sequence));
        Assert.Equal([3000L, 2000L], read.Legs.Select(leg => leg.QuantityWh));
        Assert.All(read.Legs, leg =>
        {
            Assert.Equal(LegStatus.Planned, leg.Status);
            Assert.Equal(Receiver, leg.ReceiverId);
            Assert.Null(leg.ConsumptionCertificate);
            Assert.Equal(["energyTag_ProductionDeviceUniqueIdentification"], leg.HashedAttributes);
        });
        Assert.Equal(created.Legs.Select(leg => leg.ProductionCertificate), read.Legs.Select(leg => leg.ProductionCertificate));
        Assert.Equal(created with { Legs = [] }, read with { Legs = [] });
    }

    [StoreFact]
    public async Task Reservation_counts_queued_in_flight_and_lately_final_legs_and_those_journaled_without_their_organization()
    {
        var queued = (await CreateTransferAsync(100)).Legs[0];
        var legacy = (await CreateTransferAsync(200)).Legs[0];
        var inFlight = (await CreateTransferAsync(300)).Legs[0];
        var finishedBefore = (await CreateTransferAsync(400)).Legs[0];
        var otherOrganization = (await store.CreateOperationAsync(Transfer(Guid.NewGuid(), 800), (await StartAsync(store, key: "other")).Lease, CancellationToken.None))!.Legs[0];
        foreach (var leg in new[] { inFlight, finishedBefore })
        {
            Assert.True(await store.RecordIntentAsync(leg.Id, CancellationToken.None));
            Assert.True(await store.RecordSubmittedAsync(leg.Id, Guid.NewGuid(), CancellationToken.None));
        }
        Assert.True(await store.SetLegStatusAsync(finishedBefore.Id, LegStatus.Submitted, LegStatus.Completed, null, CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(1));
        var readAt = time.GetUtcNow();
        var finishedSince = (await CreateTransferAsync(500)).Legs[0];
        Assert.True(await store.RecordIntentAsync(finishedSince.Id, CancellationToken.None));
        Assert.True(await store.RecordSubmittedAsync(finishedSince.Id, Guid.NewGuid(), CancellationToken.None));
        Assert.True(await store.SetLegStatusAsync(finishedSince.Id, LegStatus.Submitted, LegStatus.Completed, null, CancellationToken.None));
        // As an instance from before the leg kept its organization journals it.
        await using (var connection = await store.OpenForWritingAsync(CancellationToken.None))
        {
            Assert.Equal(1, await Sql.ExecuteAsync(connection, null, "UPDATE operation_legs SET organization_id = NULL WHERE leg_id = @leg",
                [("leg", Sql.Text(legacy.Id))], CancellationToken.None));
        }

        ReservedCertificates? seen = null;
        var reservation = await store.ReserveAsync(Organization, (await StartAsync(store, key: "plan")).Lease, readAt, reserved =>
        {
            seen = reserved;
            return null;
        }, CancellationToken.None);

        Assert.IsType<Reservation.Refused>(reservation);
        Assert.Equal(new Dictionary<CertificateRef, long>
        {
            [queued.ProductionCertificate] = 100,
            [legacy.ProductionCertificate] = 200,
            [inFlight.ProductionCertificate] = 300,
            [finishedSince.ProductionCertificate] = 500,
        }, seen!.Wh.OrderBy(pair => pair.Value).ToDictionary());
        Assert.Equal(new[] { queued, legacy, inFlight }.Select(leg => leg.ProductionCertificate).ToHashSet(), seen.Busy.ToHashSet());
        Assert.DoesNotContain(otherOrganization.ProductionCertificate, seen.Wh.Keys);
    }

    [StoreFact]
    public async Task Second_operation_for_one_key_is_refused_and_writes_nothing()
    {
        var started = await StartAsync(store);
        await store.CreateOperationAsync(Transfer(null, 1000), started.Lease, CancellationToken.None);

        Assert.Null(await store.CreateOperationAsync(Transfer(null, 9999), started.Lease, CancellationToken.None));

        Assert.Single(await store.ListOperationsAsync(Organization, null, 10, CancellationToken.None));
    }

    [StoreFact]
    public async Task Claim_legs_keep_both_certificates_and_no_receiver()
    {
        var started = await StartAsync(store);
        var production = new CertificateRef("Energinet.dk", Guid.NewGuid());
        var consumption = new CertificateRef("Energinet.dk", Guid.NewGuid());

        var created = await store.CreateOperationAsync(new NewOperation
        {
            OrganizationId = Organization,
            CallerId = "app-a",
            Kind = OperationKind.Claim,
            RequestedWh = 700,
            RequestJson = "{}",
            Legs = [new PlannedLeg { ProductionCertificate = production, ConsumptionCertificate = consumption, QuantityWh = 700 }],
        }, started.Lease, CancellationToken.None);

        var leg = Assert.Single((await store.GetOperationAsync(created!.Id, CancellationToken.None))!.Legs);
        Assert.Equal(OperationKind.Claim, created.Kind);
        Assert.Equal(production, leg.ProductionCertificate);
        Assert.Equal(consumption, leg.ConsumptionCertificate);
        Assert.Null(leg.ReceiverId);
        Assert.Empty(leg.HashedAttributes);
    }

    [StoreFact]
    public async Task Legs_go_from_intent_to_submitted_to_completed_and_the_operation_follows()
    {
        var operation = await CreateTransferAsync(3000, 2000);
        var (first, second) = (operation.Legs[0].Id, operation.Legs[1].Id);
        var requestId = Guid.NewGuid();

        Assert.True(await store.RecordIntentAsync(first, CancellationToken.None));
        Assert.Equal(OperationStatus.Running, await StatusAsync(operation.Id));
        Assert.True(await store.RecordSubmittedAsync(first, requestId, CancellationToken.None));
        Assert.True(await store.SetLegStatusAsync(first, LegStatus.Submitted, LegStatus.Completed, null, CancellationToken.None));
        Assert.Equal(OperationStatus.Running, await StatusAsync(operation.Id));
        await store.RecordIntentAsync(second, CancellationToken.None);
        await store.RecordSubmittedAsync(second, Guid.NewGuid(), CancellationToken.None);
        await store.SetLegStatusAsync(second, LegStatus.Submitted, LegStatus.Completed, null, CancellationToken.None);

        var done = await store.GetOperationAsync(operation.Id, CancellationToken.None);
        Assert.Equal(OperationStatus.Completed, done!.Status);
        Assert.Equal(5000, done.CompletedWh);
        Assert.Equal(requestId, done.Legs[0].EttRequestId);
    }

    [StoreFact]
    public async Task Intent_is_recorded_once_so_only_one_racer_may_send_the_post()
    {
        var operation = await CreateTransferAsync(1000);
        var other = await NewInstanceAsync();

        var recorded = await Task.WhenAll(Enumerable.Range(0, 10).Select(index =>
            Task.Run(() => (index % 2 == 0 ? store : other).RecordIntentAsync(operation.Legs[0].Id, CancellationToken.None))));

        Assert.Single(recorded, won => won);
    }

    [StoreFact]
    public async Task A_leg_waits_while_another_leg_of_its_certificate_is_in_flight_from_two_instances_at_once()
    {
        // ETT reserves whole slices until a split is registered: a second request on the certificate meanwhile fails there.
        var certificate = new CertificateRef("Energinet.dk", Guid.NewGuid());
        var legs = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            var started = await StartAsync(store, key: $"same-certificate-{i}");
            var transfer = Transfer(null, 1000);
            transfer = transfer with { Legs = [transfer.Legs[0] with { ProductionCertificate = certificate }] };
            legs.Add((await store.CreateOperationAsync(transfer, started.Lease, CancellationToken.None))!.Legs[0].Id);
        }
        var elsewhere = (await CreateTransferAsync(1000)).Legs[0].Id;
        var other = await NewInstanceAsync();

        var recorded = await Task.WhenAll(legs.Select((leg, index) =>
            Task.Run(() => (index % 2 == 0 ? store : other).RecordIntentAsync(leg, CancellationToken.None))));

        var sending = legs[Array.IndexOf(recorded, true)];
        Assert.Single(recorded, won => won);
        Assert.True(await store.RecordIntentAsync(elsewhere, CancellationToken.None));
        var waiting = legs.Where(leg => leg != sending).ToList();
        Assert.True(await store.RecordSubmittedAsync(sending, Guid.NewGuid(), CancellationToken.None));
        Assert.False(await store.RecordIntentAsync(waiting[0], CancellationToken.None));
        Assert.True(await store.SetLegStatusAsync(sending, LegStatus.Submitted, LegStatus.Completed, null, CancellationToken.None));
        Assert.True(await store.RecordIntentAsync(waiting[0], CancellationToken.None));
        Assert.False(await store.RecordIntentAsync(waiting[1], CancellationToken.None));
    }

    [StoreFact]
    public async Task Leg_whose_post_was_not_observed_is_unknown_and_listed_for_reconciliation()
    {
        var operation = await CreateTransferAsync(1000, 500);
        var leg = operation.Legs[0].Id;
        await store.RecordIntentAsync(leg, CancellationToken.None);

        Assert.True(await store.MarkUnknownAsync(leg, CancellationToken.None));
        Assert.False(await store.RecordSubmittedAsync(leg, Guid.NewGuid(), CancellationToken.None));

        var listed = Assert.Single(await store.ListLegsToReconcileAsync(time.GetUtcNow(), 10, claim, CancellationToken.None));
        Assert.Equal((Organization, OperationKind.Transfer, leg, LegStatus.Unknown), (listed.OrganizationId, listed.Kind, listed.Leg.Id, listed.Leg.Status));
        Assert.Empty(await store.ListLegsToPollAsync(time.GetUtcNow(), 10, claim, CancellationToken.None));
    }

    [StoreFact]
    public async Task Reconciler_returns_an_unsent_unknown_leg_to_planned_so_a_resumed_attempt_sends_it()
    {
        var operation = await CreateTransferAsync(1000);
        var leg = operation.Legs[0].Id;
        await store.RecordIntentAsync(leg, CancellationToken.None);
        await store.MarkUnknownAsync(leg, CancellationToken.None);

        Assert.True(await store.SetLegStatusAsync(leg, LegStatus.Unknown, LegStatus.Planned, "ETT shows no transfer of this certificate", CancellationToken.None));

        Assert.Equal(OperationStatus.Accepted, await StatusAsync(operation.Id));
        Assert.True(await store.RecordIntentAsync(leg, CancellationToken.None));
        Assert.Empty(await store.ListLegsToReconcileAsync(time.GetUtcNow() - TimeSpan.FromSeconds(1), 10, claim, CancellationToken.None));
    }

    [StoreFact]
    public async Task Release_never_forgets_a_key_that_owns_an_operation()
    {
        var started = await StartAsync(store);
        await store.CreateOperationAsync(Transfer(null, 1000), started.Lease, CancellationToken.None);

        Assert.False(await store.ReleaseAsync(started.Lease, CancellationToken.None));
        Assert.IsType<IdempotencyBegin.InFlight>(await store.TryBeginAsync("app-a", "key-1", FiveMegawattHours, Lease, CancellationToken.None));
    }

    [StoreFact]
    public async Task Planned_legs_left_behind_are_listed_for_resumption_once_their_attempt_lease_ran_out()
    {
        var operation = await CreateTransferAsync(1000, 500);
        await store.RecordIntentAsync(operation.Legs[0].Id, CancellationToken.None);

        Assert.Empty(await store.ListLegsToResumeAsync(10, claim, CancellationToken.None));
        time.Advance(TimeSpan.FromMinutes(2));

        var listed = Assert.Single(await store.ListLegsToResumeAsync(10, claim, CancellationToken.None));
        Assert.Equal((Organization, OperationKind.Transfer, operation.Legs[1].Id, LegStatus.Planned),
            (listed.OrganizationId, listed.Kind, listed.Leg.Id, listed.Leg.Status));
    }

    [StoreFact]
    public async Task Fresh_intent_is_left_to_its_running_attempt_until_the_cutoff_passes()
    {
        var operation = await CreateTransferAsync(1000);
        await store.RecordIntentAsync(operation.Legs[0].Id, CancellationToken.None);

        Assert.Empty(await store.ListLegsToReconcileAsync(time.GetUtcNow() - TimeSpan.FromMinutes(5), 10, claim, CancellationToken.None));
        time.Advance(TimeSpan.FromMinutes(5));

        var listed = Assert.Single(await store.ListLegsToReconcileAsync(time.GetUtcNow() - TimeSpan.FromMinutes(5), 10, claim, CancellationToken.None));
        Assert.Equal(LegStatus.IntentRecorded, listed.Leg.Status);
    }

    [StoreFact]
    public async Task Poll_list_holds_submitted_legs_until_ett_reports_a_final_status()
    {
        var operation = await CreateTransferAsync(1000, 500);
        var requestId = Guid.NewGuid();
        foreach (var leg in operation.Legs) await store.RecordIntentAsync(leg.Id, CancellationToken.None);
        await store.RecordSubmittedAsync(operation.Legs[0].Id, requestId, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(1));
        await store.RecordSubmittedAsync(operation.Legs[1].Id, Guid.NewGuid(), CancellationToken.None);

        var pending = await store.ListLegsToPollAsync(time.GetUtcNow(), 10, claim, CancellationToken.None);
        Assert.Equal([operation.Legs[0].Id, operation.Legs[1].Id], pending.Select(leg => leg.Leg.Id));
        Assert.Equal(requestId, pending[0].Leg.EttRequestId);

        await store.SetLegStatusAsync(operation.Legs[0].Id, LegStatus.Submitted, LegStatus.Failed, null, CancellationToken.None);
        Assert.Equal(operation.Legs[1].Id, Assert.Single(await store.ListLegsToPollAsync(time.GetUtcNow(), 10, claim, CancellationToken.None)).Leg.Id);
        Assert.Empty(await store.ListLegsToReconcileAsync(time.GetUtcNow(), 10, claim, CancellationToken.None));
    }

    [StoreFact]
    public async Task Leg_still_pending_at_ett_waits_its_turn_before_it_is_polled_again()
    {
        var operation = await CreateTransferAsync(1000, 500);
        foreach (var leg in operation.Legs)
        {
            await store.RecordIntentAsync(leg.Id, CancellationToken.None);
            await store.RecordSubmittedAsync(leg.Id, Guid.NewGuid(), CancellationToken.None);
        }
        time.Advance(TimeSpan.FromSeconds(30));

        Assert.True(await store.RecordStillPendingAsync(operation.Legs[0].Id, CancellationToken.None));

        var due = await store.ListLegsToPollAsync(time.GetUtcNow() - TimeSpan.FromSeconds(10), 10, claim, CancellationToken.None);
        Assert.Equal(operation.Legs[1].Id, Assert.Single(due).Leg.Id);
        time.Advance(TimeSpan.FromSeconds(10));
        var later = await store.ListLegsToPollAsync(time.GetUtcNow() - TimeSpan.FromSeconds(10), 10, claim, CancellationToken.None);
        Assert.Equal([operation.Legs[1].Id, operation.Legs[0].Id], later.Select(leg => leg.Leg.Id));
        Assert.Equal(OperationStatus.Running, await StatusAsync(operation.Id));
    }

    [StoreFact]
    public async Task Mixed_final_legs_make_the_operation_partially_completed_and_keep_the_rejection()
    {
        var operation = await CreateTransferAsync(1000, 500);
        await store.RecordIntentAsync(operation.Legs[0].Id, CancellationToken.None);
        await store.RecordSubmittedAsync(operation.Legs[0].Id, Guid.NewGuid(), CancellationToken.None);
        await store.SetLegStatusAsync(operation.Legs[0].Id, LegStatus.Submitted, LegStatus.Completed, null, CancellationToken.None);
        await store.RecordIntentAsync(operation.Legs[1].Id, CancellationToken.None);

        await store.SetLegStatusAsync(operation.Legs[1].Id, LegStatus.IntentRecorded, LegStatus.Failed, "quantity more than available", CancellationToken.None);

        var read = await store.GetOperationAsync(operation.Id, CancellationToken.None);
        Assert.Equal(OperationStatus.PartiallyCompleted, read!.Status);
        Assert.Equal(1000, read.CompletedWh);
        Assert.Equal("quantity more than available", read.Legs[1].Detail);
    }

    [StoreFact]
    public async Task Concurrent_leg_changes_from_two_instances_leave_the_operation_status_right()
    {
        var operation = await CreateTransferAsync(Enumerable.Repeat(100L, 16).ToArray());
        foreach (var leg in operation.Legs)
        {
            await store.RecordIntentAsync(leg.Id, CancellationToken.None);
            await store.RecordSubmittedAsync(leg.Id, Guid.NewGuid(), CancellationToken.None);
        }
        var other = await NewInstanceAsync();

        await Task.WhenAll(operation.Legs.Select((leg, index) => Task.Run(() =>
            (index % 2 == 0 ? store : other).SetLegStatusAsync(leg.Id, LegStatus.Submitted, LegStatus.Completed, null, CancellationToken.None))));

        Assert.Equal(OperationStatus.Completed, await StatusAsync(operation.Id));
    }

    [StoreFact]
    public async Task Leg_that_moved_on_is_not_moved_again_and_unknown_legs_are_refused()
    {
        var operation = await CreateTransferAsync(1000);
        var leg = operation.Legs[0].Id;

        Assert.False(await store.RecordSubmittedAsync(leg, Guid.NewGuid(), CancellationToken.None));
        Assert.False(await store.MarkUnknownAsync(leg, CancellationToken.None));
        Assert.False(await store.RecordIntentAsync(Guid.NewGuid(), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            store.SetLegStatusAsync(leg, LegStatus.Planned, LegStatus.Completed, null, CancellationToken.None));
        Assert.Equal(LegStatus.Planned, (await store.GetOperationAsync(operation.Id, CancellationToken.None))!.Legs[0].Status);
    }

    [StoreFact]
    public async Task Operations_are_listed_per_organization_newest_first_and_filtered_by_status()
    {
        var older = await CreateTransferAsync(1000);
        time.Advance(TimeSpan.FromSeconds(1));
        var newer = await CreateTransferAsync(2000);
        await store.RecordIntentAsync(newer.Legs[0].Id, CancellationToken.None);
        var elsewhere = await StartAsync(store, key: "other-organization");
        await store.CreateOperationAsync(Transfer(Guid.NewGuid(), 10), elsewhere.Lease, CancellationToken.None);

        var all = await store.ListOperationsAsync(Organization, null, 10, CancellationToken.None);
        var running = await store.ListOperationsAsync(Organization, OperationStatus.Running, 10, CancellationToken.None);
        var limited = await store.ListOperationsAsync(Organization, null, 1, CancellationToken.None);

        Assert.Equal([newer.Id, older.Id], all.Select(operation => operation.Id));
        Assert.Equal(2000, all[0].Legs.Single().QuantityWh);
        Assert.Equal(newer.Id, Assert.Single(running).Id);
        Assert.Equal(newer.Id, Assert.Single(limited).Id);
        Assert.Null(await store.GetOperationAsync(Guid.NewGuid(), CancellationToken.None));
    }

    // ---- Audit trail ----

    private static Ett.Gateway.Observability.AuditRecord Audit(DateTimeOffset at, string caller, Guid? organization, string action, string correlation) => new()
    {
        AuditId = Guid.CreateVersion7(at),
        RecordedAt = at,
        CallerId = caller,
        OrganizationId = organization,
        Action = action,
        Method = "POST",
        Path = "/organizations/x/transfers",
        Status = 202,
        Outcome = "succeeded",
        QuantityWh = 1000,
        Certificates = ["Energinet.dk/8c0e4b8e-1f6a-4c1e-9d1e-0b7f3e2a4c11"],
        CorrelationId = correlation,
        OperationId = Guid.NewGuid(),
    };

    [StoreFact]
    public async Task Audit_records_are_kept_whole_and_listed_newest_first_by_filter_and_position()
    {
        var trail = new SqlAuditStore(store);
        var start = time.GetUtcNow();
        var other = Guid.NewGuid();
        var records = new[]
        {
            Audit(start, "App-A", Organization, "TransferToPartner", "c0"),
            Audit(start.AddMinutes(1), "app-b", Organization, "ClaimEnergy", "c1"),
            Audit(start.AddMinutes(2), "app-a", other, "TransferToPartner", "c2"),
            Audit(start.AddMinutes(2), "app-a", null, "ETT passthrough POST /wallet-api/transfers", "c3"),
        };
        foreach (var record in records) await trail.AppendAsync(record, CancellationToken.None);

        async Task<string[]> List(Ett.Gateway.Observability.AuditQuery query) =>
            [.. (await trail.ListAsync(query, CancellationToken.None)).Select(r => r.CorrelationId)];
        Ett.Gateway.Observability.AuditQuery All(int limit = 10) => new(null, null, null, null, null, limit, null);

        var newest = (await trail.ListAsync(All(1), CancellationToken.None)).Single();
        Assert.Equal(records.Max(r => (r.RecordedAt, r.AuditId)).AuditId, newest.AuditId);
        Assert.Equivalent(records.Single(r => r.AuditId == newest.AuditId), newest, strict: true);
        // Ties in time (c2, c3) come in id order, newest id first.
        Assert.Equal(records.OrderByDescending(r => r.RecordedAt).ThenByDescending(r => r.AuditId.ToString("D"), StringComparer.Ordinal).Select(r => r.CorrelationId),
            await List(All()));
        Assert.Equal(["c1", "c0"], await List(All() with { OrganizationId = Organization }));
        Assert.Equal(3, (await List(All() with { CallerId = "APP-A" })).Length);
        Assert.Equal(["c2", "c0"], (await List(All() with { Action = "TransferToPartner" })).Order().Reverse().ToArray());
        Assert.Equal(["c1"], await List(All() with { From = start.AddMinutes(1), To = start.AddMinutes(2) }));

        // Keyset paging walks everything once, ties in time included.
        var seen = new List<string>();
        Ett.Gateway.Observability.AuditPosition? after = null;
        while (true)
        {
            var page = await trail.ListAsync(All(1) with { After = after }, CancellationToken.None);
            if (page.Count == 0) break;
            seen.Add(page[0].CorrelationId);
            after = new(page[0].RecordedAt, page[0].AuditId);
        }
        Assert.Equal(await List(All()), seen);
    }

    // ---- Schema ----

    [StoreFact]
    public async Task Schema_creation_is_idempotent_across_restarts_and_concurrent_starts()
    {
        var operation = await CreateTransferAsync(1000);

        var restarted = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => NewInstanceAsync()));
        await restarted[0].InitializeAsync();

        Assert.Equal(operation.Id, (await restarted[1].GetOperationAsync(operation.Id, CancellationToken.None))!.Id);
        var database = await OpenDatabaseAsync();
        databases.Add(database);
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*), MAX(version) FROM operations_schema";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(((long)StoreSchema.LatestVersion, (long)StoreSchema.LatestVersion), (reader.GetInt64(0), reader.GetInt64(1)));
    }
}
