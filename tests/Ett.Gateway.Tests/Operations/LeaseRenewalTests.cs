using System.Text;
using Ett.Gateway.Observability;
using Ett.Gateway.Operations;
using Ett.Gateway.Operations.Store;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Ett.Gateway.Tests.Operations;

/// <summary>
/// The runner renews the attempt's lease before a leg only once a third of it has passed: a fresher lease cannot have
/// been taken over (a takeover needs an expired one), so renewing it was a write per leg that decided nothing.
/// </summary>
public sealed class LeaseRenewalTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private static readonly Guid Organization = Guid.Parse("8f9a2c1e-0000-4000-8000-000000000001");

    private readonly string directory = Directory.CreateTempSubdirectory("ett-lease-").FullName;
    private readonly FakeTimeProvider time = TestClock.Create();
    private SqliteStoreDatabase database = null!;
    private SqlOperationsStore store = null!;
    private CountingKeys keys = null!;

    public async Task InitializeAsync()
    {
        database = new SqliteStoreDatabase(Path.Combine(directory, "operations.db"));
        store = new SqlOperationsStore(database, time, TimeSpan.FromHours(24));
        await store.InitializeAsync();
        keys = new CountingKeys(store);
    }

    public async Task DisposeAsync()
    {
        await database.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Legs_sent_while_the_lease_is_fresh_renew_nothing_and_a_leg_after_a_third_of_it_renews_first()
    {
        // The first leg's POST takes 25 s: the second leg then finds less than two thirds of the lease left.
        var ett = new SlowEtt(time, [TimeSpan.FromSeconds(25), TimeSpan.Zero, TimeSpan.Zero]);
        var (runner, attempt) = await StartAsync(ett);

        var reservation = await runner.StartAsync(Organization, _ => ThreeLegs(attempt), attempt);

        var operation = Assert.IsType<Reservation.Created>(reservation).Operation;
        Assert.All(operation.Legs, leg => Assert.Equal(LegStatus.Submitted, leg.Status));
        Assert.Equal(3, ett.Posts);
        // Before the first leg: fresh, no renewal. Before the second: 25 s gone, renewed. Before the third: fresh again.
        Assert.Equal(1, keys.Renewals);
        Assert.Equal(time.GetUtcNow() + Lease, attempt.LeaseExpiresAt);
    }

    [Fact]
    public async Task A_lease_taken_over_while_a_leg_was_at_ett_stops_the_attempt_before_its_next_leg()
    {
        var ett = new SlowEtt(time, [Lease + TimeSpan.FromSeconds(1), TimeSpan.Zero, TimeSpan.Zero]);
        var (runner, attempt) = await StartAsync(ett);
        ett.DuringFirstPost = async () =>
        {
            var takeover = await store.TryBeginAsync("app-a", "key-1", Fingerprint, Lease, CancellationToken.None);
            Assert.True(Assert.IsType<IdempotencyBegin.Started>(takeover).IsResume);
        };

        var operation = Assert.IsType<Reservation.Created>(await runner.StartAsync(Organization, _ => ThreeLegs(attempt), attempt)).Operation;

        Assert.Equal(1, ett.Posts);
        Assert.Equal([LegStatus.Submitted, LegStatus.Planned, LegStatus.Planned], operation.Legs.Select(leg => leg.Status));
    }

    private static readonly string Fingerprint = RequestFingerprint.Compute("POST", "/organizations/x/transfers", Encoding.UTF8.GetBytes("{}"));

    private async Task<(OperationRunner, IdempotentAttempt)> StartAsync(IEttLegSender ett)
    {
        var started = Assert.IsType<IdempotencyBegin.Started>(await store.TryBeginAsync("app-a", "key-1", Fingerprint, Lease, CancellationToken.None));
        var runner = new OperationRunner(store, keys, ett, Options.Create(new OperationsOptions { LeaseDuration = Lease }), time, NullLogger<OperationRunner>.Instance);
        return (runner, new IdempotentAttempt(started, "app-a", "{}", time.GetUtcNow()));
    }

    private static NewOperation ThreeLegs(IdempotentAttempt attempt) => new()
    {
        OrganizationId = Organization,
        CallerId = attempt.CallerId,
        Kind = OperationKind.Transfer,
        RequestedWh = 3000,
        RequestJson = attempt.RequestJson,
        // Three certificates: no leg waits for another's.
        Legs = [.. Enumerable.Range(1, 3).Select(n => new PlannedLeg
        {
            ProductionCertificate = new CertificateRef("Energinet.dk", Guid.Parse($"00000000-0000-4000-8000-00000000000{n}")),
            ReceiverId = Guid.Parse("7c1d0000-0000-4000-8000-000000000001"),
            QuantityWh = 1000,
        })],
    };

    /// <summary>ETT taking the given time per POST (the fake clock advances), accepting each.</summary>
    private sealed class SlowEtt(FakeTimeProvider time, TimeSpan[] durations) : IEttLegSender
    {
        public int Posts;
        public Func<Task>? DuringFirstPost;

        public async Task<Guid> PostAsync(Guid organizationId, OperationKind kind, PlannedLeg leg, CancellationToken cancellationToken)
        {
            time.Advance(durations[Posts]);
            if (Posts++ == 0 && DuringFirstPost is { } during) await during();
            return Guid.NewGuid();
        }
    }

    private sealed class CountingKeys(IIdempotencyStore inner) : IIdempotencyStore
    {
        public int Renewals;

        public Task<IdempotencyBegin> TryBeginAsync(string callerId, string key, string fingerprint, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
            inner.TryBeginAsync(callerId, key, fingerprint, leaseDuration, cancellationToken);

        public Task<bool> CompleteAsync(IdempotencyLease lease, StoredResponse response, AuditRecord? audit, CancellationToken cancellationToken) =>
            inner.CompleteAsync(lease, response, audit, cancellationToken);

        public Task<bool> RenewLeaseAsync(IdempotencyLease lease, TimeSpan leaseDuration, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Renewals);
            return inner.RenewLeaseAsync(lease, leaseDuration, cancellationToken);
        }

        public Task<bool> ReleaseAsync(IdempotencyLease lease, CancellationToken cancellationToken) => inner.ReleaseAsync(lease, cancellationToken);

        public Task<int> PurgeExpiredAsync(CancellationToken cancellationToken) => inner.PurgeExpiredAsync(cancellationToken);

        public Task<IReadOnlyList<AbandonedKey>> ListAbandonedAsync(int limit, CancellationToken cancellationToken) => inner.ListAbandonedAsync(limit, cancellationToken);

        public Task<bool> CompleteAbandonedAsync(AbandonedKey key, StoredResponse response, CancellationToken cancellationToken) =>
            inner.CompleteAbandonedAsync(key, response, cancellationToken);
    }
}
