using System.Collections.Concurrent;
using Polly.CircuitBreaker;

namespace Ett.Gateway.Upstream;

/// <summary>The circuit breaker's state per ETT API group, as its callbacks last reported it (closed until one opens).</summary>
public sealed class EttCircuits
{
    private readonly ConcurrentDictionary<string, CircuitState> states = new(StringComparer.Ordinal);

    public void Report(string group, CircuitState state) => states[group] = state;

    /// <summary>Groups whose circuit left the closed state at least once, with their state now.</summary>
    public IReadOnlyDictionary<string, CircuitState> States => states;
}
