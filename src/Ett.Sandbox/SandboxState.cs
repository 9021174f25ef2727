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
    private TaskCompletionSource _resumed = NewSignal(completed: true);
    private int _pauses;

    /// <summary>Creates the state and seeds it relative to <paramref name="time"/>'s current time.</summary>
    public SandboxState(TimeProvider time, ILogger<SandboxState> logger)
    {
        _time = time;
        _logger = logger;
        Data = SandboxSeeder.Seed(time.GetUtcNow());
        _worker = Task.Run(ProcessQueueAsync);
    }

    /// <summary>One lock guards every read and write of <see cref="Data"/>.</summary>
    internal Lock Sync { get; } = new();

    internal LedgerData Data { get; private set; }

    internal long Now => _time.GetUtcNow().ToUnixTimeSeconds();

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
            if (_pauses++ == 0)
            {
                _resumed = NewSignal(completed: false);
            }
        }

        return new Resume(this);
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
            Task resumed;
            lock (Sync)
            {
                resumed = _resumed.Task;
            }

            await resumed;
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
                }
            }
        }
    }

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
                    state._resumed.TrySetResult();
                }
            }
        }
    }
}
