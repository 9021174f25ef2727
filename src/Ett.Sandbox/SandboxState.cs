using System.Collections.Concurrent;
using System.Threading.Channels;
using Ett.Sandbox.Ledger;
using Microsoft.Extensions.Logging;

namespace Ett.Sandbox;

/// <summary>
/// The sandbox's in-memory ETT: seeded data, the request log, and the queue that processes transfers and claims in
/// the background as ETT's wallet does. Resolve it from DI in tests and tools.
/// </summary>
public sealed class SandboxState : IDisposable
{
    private readonly TimeProvider _time;
    private readonly ILogger<SandboxState> _logger;
    private readonly ConcurrentQueue<EttRequest> _requests = new();
    private readonly Channel<(LedgerData Data, Action<LedgerData> Work)> _queue = Channel.CreateUnbounded<(LedgerData, Action<LedgerData>)>();
    private readonly Task _worker;
    private int _outstanding;
    private TaskCompletionSource _idle = NewSignal(completed: true);
    private TaskCompletionSource _wake = NewSignal(completed: true);
    private TaskCompletionSource _stepped = NewSignal(completed: true);
    private int _pauses;
    private int _steps;
    private long _seededAt;

    /// <summary>Creates the state and seeds it relative to <paramref name="time"/>'s current time.</summary>
    public SandboxState(TimeProvider time, ILogger<SandboxState> logger)
    {
        _time = time;
        _logger = logger;
        Data = SandboxSeeder.Seed(time.GetUtcNow());
        _seededAt = time.GetUtcNow().ToUnixTimeSeconds();
        TieOrder = TieOrderFor(time.GetUtcNow());
        _worker = Task.Run(ProcessQueueAsync);
    }

    /// <summary>One lock guards every read and write of <see cref="Data"/>.</summary>
    internal Lock Sync { get; } = new();

    internal LedgerData Data { get; private set; }

    internal long Now => _time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>
    /// Orders certificates whose sort key ties, differently on each call: ETT pages them with ORDER BY end_date (or the
    /// requested key) and LIMIT/OFFSET, no tie-breaker (PW CertificateRepository.cs). Seeded from the seed's instant, so
    /// a failing run repeats.
    /// </summary>
    internal Random TieOrder { get; private set; }

    /// <summary>The order of tied transfer and claim rows: the same while no row changes (see <see cref="LedgerData.RowVersion"/>).</summary>
    internal Random RowTieOrder() => new(HashCode.Combine(_seededAt, Data.RowVersion));

    /// <summary>Every request the simulated ETT and its token endpoint received, oldest first.</summary>
    public IReadOnlyList<EttRequest> Requests => [.. _requests];

    /// <summary>Forgets the logged requests.</summary>
    public void ClearRequests() => _requests.Clear();

    /// <summary>Throws away every change and seeds again relative to the current time; queued work of the old state is dropped.</summary>
    public void Reset()
    {
        lock (Sync)
        {
            Data = SandboxSeeder.Seed(_time.GetUtcNow());
            _seededAt = _time.GetUtcNow().ToUnixTimeSeconds();
            TieOrder = TieOrderFor(_time.GetUtcNow());
        }
    }

    /// <summary>
    /// The registry behind <paramref name="receiverId"/> rejects every slice sent to it from now on: the transfer list keeps
    /// the failed slice (ETT's transfers_query_model has no state filter) and its quantity returns to the sender.
    /// </summary>
    public void RejectSlicesTo(Guid receiverId)
    {
        lock (Sync)
        {
            Data.RejectingReceivers.Add(receiverId);
        }
    }

    /// <summary>
    /// The organization consents to the client. It shows up in <c>GET client/consents</c> at once but, as in ETT, not in
    /// tokens issued before (their <c>org_ids</c> are frozen at issue).
    /// </summary>
    public void GrantConsent(string clientId, Guid organizationId)
    {
        lock (Sync)
        {
            var consents = Data.Consents.TryGetValue(clientId, out var list) ? list : Data.Consents[clientId] = [];
            if (!consents.Contains(organizationId))
            {
                consents.Add(organizationId);
            }
        }
    }

    /// <summary>Withdraws a consent; tokens already issued keep the organization until they expire.</summary>
    public void RevokeConsent(string clientId, Guid organizationId)
    {
        lock (Sync)
        {
            if (Data.Consents.TryGetValue(clientId, out var consents))
            {
                consents.Remove(organizationId);
            }
        }
    }

    /// <summary>An ETT client's secrets as ETT's credentials API lists them (empty for an unknown client).</summary>
    public IReadOnlyList<SandboxClientSecret> SecretsOf(string clientId)
    {
        lock (Sync)
        {
            return Data.Clients.TryGetValue(clientId, out var client)
                ? [.. client.Secrets.Select(s => new SandboxClientSecret(s.KeyId, s.Hint, DateTimeOffset.FromUnixTimeSeconds(s.StartDate), DateTimeOffset.FromUnixTimeSeconds(s.EndDate)))]
                : [];
        }
    }

    /// <summary>Available Wh of one type in the organization's wallet.</summary>
    public long AvailableWh(Guid organizationId, SandboxCertificateType type) =>
        CertificatesOf(organizationId).Where(c => c.Type == type).Sum(c => c.AvailableWh);

    /// <summary>Every certificate the organization's wallet holds a share of, including fully used ones.</summary>
    public IReadOnlyList<SandboxCertificate> CertificatesOf(Guid organizationId)
    {
        lock (Sync)
        {
            var wallet = Data.WalletOf(organizationId);
            return wallet is null
                ? []
                : [.. wallet.Holdings.Values.Select(h => new SandboxCertificate(
                    h.Certificate.Registry, h.Certificate.StreamId, h.Certificate.Type, h.Certificate.Start, h.Certificate.End,
                    h.Certificate.GridArea, h.Available, h.Attributes))];
        }
    }

    /// <summary>Every wallet as the ledger holds it.</summary>
    public IReadOnlyList<SandboxWalletLedger> Ledgers()
    {
        lock (Sync)
        {
            return [.. Data.Wallets.Values.Select(w => Ledger(w.OrganizationId)!)];
        }
    }

    /// <summary>The organization's wallet as the ledger holds it, or null when it has none.</summary>
    public SandboxWalletLedger? Ledger(Guid organizationId)
    {
        lock (Sync)
        {
            if (Data.WalletOf(organizationId) is not { } wallet)
            {
                return null;
            }

            return new SandboxWalletLedger(
                organizationId,
                wallet.Id,
                [.. wallet.Holdings.Values.Select(h => new SandboxHolding(h.Certificate.Registry, h.Certificate.StreamId, h.Certificate.Type,
                    h.Certificate.Start, h.Certificate.End, [.. h.Slices.Select(s => new SandboxSlice(s.Id, s.Quantity, s.State.ToString().ToLowerInvariant()))]))],
                [.. Data.Transfers.Where(t => t.Sender == wallet)
                    .Select(t => new SandboxTransferredSlice(t.RequestId, t.SliceId, t.Certificate.StreamId, t.ReceiverId, t.Quantity, t.State))],
                [.. Data.Claims.Where(c => c.Owner == wallet)
                    .Select(c => new SandboxClaimedSlices(c.RequestId, c.Id, c.Production.StreamId, c.Consumption.StreamId, c.Quantity))],
                [.. Data.RequestStatuses.Values.Where(r => r.OrganizationId == organizationId)
                    .Select(r => new SandboxRequest(r.Id, r.Kind.ToString().ToLowerInvariant(), r.Quantity, r.Status))]);
        }
    }

    /// <summary>Completes when every queued transfer and claim has been processed (not before a paused queue resumes).</summary>
    public Task WhenIdleAsync()
    {
        lock (Sync)
        {
            return _idle.Task;
        }
    }

    /// <summary>Holds background processing until the returned handle is disposed, so tests can observe <c>pending</c>.</summary>
    internal IDisposable PauseProcessing()
    {
        lock (Sync)
        {
            _pauses++;
        }

        return new Resume(this);
    }

    /// <summary>While paused, lets exactly one queued step run; completes when it has run.</summary>
    internal Task StepAsync()
    {
        lock (Sync)
        {
            _steps++;
            _stepped = NewSignal(completed: false);
            _wake.TrySetResult();
            return _stepped.Task;
        }
    }

    internal void Record(EttRequest request) => _requests.Enqueue(request);

    /// <summary>Queues work on the current data; the caller holds <see cref="Sync"/>.</summary>
    internal void Enqueue(Action<LedgerData> work)
    {
        if (_outstanding++ == 0)
        {
            _idle = NewSignal(completed: false);
        }

        _queue.Writer.TryWrite((Data, work));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _worker.Wait(TimeSpan.FromSeconds(5));
    }

    private async Task ProcessQueueAsync()
    {
        await foreach (var (data, work) in _queue.Reader.ReadAllAsync())
        {
            var stepping = await WhenAllowedAsync();
            lock (Sync)
            {
                try
                {
                    // Work queued before a Reset belongs to data that no longer exists.
                    if (ReferenceEquals(data, Data))
                    {
                        work(data);
                    }
                }
                catch (Exception exception)
                {
                    _logger.LogError(exception, "Sandbox background work failed");
                }
                finally
                {
                    if (--_outstanding == 0)
                    {
                        _idle.TrySetResult();
                    }

                    if (stepping)
                    {
                        _stepped.TrySetResult();
                    }
                }
            }
        }
    }

    /// <summary>Waits while processing is paused; true when a <see cref="StepAsync"/> let this item through.</summary>
    private async Task<bool> WhenAllowedAsync()
    {
        while (true)
        {
            Task wake;
            lock (Sync)
            {
                if (_pauses == 0)
                {
                    return false;
                }

                if (_steps > 0)
                {
                    _steps--;
                    return true;
                }

                if (_wake.Task.IsCompleted)
                {
                    _wake = NewSignal(completed: false);
                }

                wake = _wake.Task;
            }

            await wake;
        }
    }

    private static Random TieOrderFor(DateTimeOffset instant) => new(unchecked((int)instant.ToUnixTimeSeconds()));

    private static TaskCompletionSource NewSignal(bool completed)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            signal.SetResult();
        }

        return signal;
    }

    private sealed class Resume(SandboxState state) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            lock (state.Sync)
            {
                if (--state._pauses == 0)
                {
                    state._wake.TrySetResult();
                }
            }
        }
    }
}
