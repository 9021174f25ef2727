using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Ett.Sandbox.Faults;

/// <summary>The faults in force: those from configuration at start, plus those added at run time. Thread-safe.</summary>
public sealed class SandboxFaults
{
    private readonly Lock _sync = new();
    private readonly List<Entry> _faults = [];
    private readonly ConcurrentQueue<AppliedSandboxFault> _applied = new();
    private readonly SemaphoreSlim _held = new(0);
    private long _requests;

    /// <summary>Starts with the faults of <see cref="SandboxOptions.Faults"/>.</summary>
    public SandboxFaults(IOptions<SandboxOptions> options)
    {
        foreach (var fault in options.Value.Faults)
        {
            Add(fault);
        }
    }

    /// <summary>Every request a fault was applied to, oldest first.</summary>
    public IReadOnlyList<AppliedSandboxFault> Applied => [.. _applied];

    /// <summary>
    /// Completes once a request is held by a <see cref="SandboxFaultKind.Latency"/> or <see cref="SandboxFaultKind.Hang"/>
    /// fault with its timer set, so a test may advance the fake clock past it (one completion per held request).
    /// </summary>
    public Task HeldAsync() => _held.WaitAsync();

    /// <summary>Puts a fault in force; later faults are matched after earlier ones.</summary>
    public Guid Add(SandboxFault fault)
    {
        var path = PathPattern(fault.Path);
        lock (_sync)
        {
            var entry = new Entry(Guid.NewGuid(), fault, path, _requests);
            _faults.Add(entry);
            return entry.Id;
        }
    }

    /// <summary>Removes one fault; false when no fault has that id.</summary>
    public bool Remove(Guid id)
    {
        lock (_sync)
        {
            return _faults.RemoveAll(f => f.Id == id) > 0;
        }
    }

    /// <summary>Removes every fault.</summary>
    public void Clear()
    {
        lock (_sync)
        {
            _faults.Clear();
        }
    }

    /// <summary>The faults in force.</summary>
    public IReadOnlyList<ActiveSandboxFault> List()
    {
        lock (_sync)
        {
            return [.. _faults.Select(f => new ActiveSandboxFault(f.Id, f.Fault, f.Applied))];
        }
    }

    /// <summary>
    /// The first fault in force that matches the request, counted as applied (a fault used up by <see cref="SandboxFault.Times"/>
    /// is removed). Called once per request, which is what <see cref="SandboxFault.ExpiresAfterRequests"/> counts.
    /// </summary>
    internal SandboxFault? Take(string method, string path)
    {
        lock (_sync)
        {
            var request = ++_requests;
            _faults.RemoveAll(f => f.Fault.ExpiresAfterRequests is { } lifetime && request - f.ArmedAt > lifetime);
            var entry = _faults.FirstOrDefault(f =>
                (string.IsNullOrEmpty(f.Fault.Method) || string.Equals(f.Fault.Method, method, StringComparison.OrdinalIgnoreCase))
                && f.Path.IsMatch(path));
            if (entry is null)
            {
                return null;
            }

            entry.Applied++;
            if (entry.Fault.Times is { } times && entry.Applied >= times)
            {
                _faults.Remove(entry);
            }

            _applied.Enqueue(new AppliedSandboxFault(entry.Id, entry.Fault.Kind, method, path));
            return entry.Fault;
        }
    }

    internal void Holding() => _held.Release();

    private static Regex PathPattern(string glob) =>
        new("^" + string.Join(".*", glob.Split('*').Select(Regex.Escape)) + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private sealed class Entry(Guid id, SandboxFault fault, Regex path, long armedAt)
    {
        public Guid Id { get; } = id;

        /// <summary>Requests taken before it was put in force.</summary>
        public long ArmedAt { get; } = armedAt;

        public SandboxFault Fault { get; } = fault;
        public Regex Path { get; } = path;
        public int Applied { get; set; }
    }
}
