namespace Ett.Gateway.Upstream;

/// <summary>
/// A cached value that any number of concurrent callers renew with exactly one fetch. A failed fetch is not cached:
/// every waiting caller sees the failure and the next caller starts a new fetch. The callers' state goes in as an
/// argument, so a fresh value costs a lock and no allocation (the ETT token is read on every proxied request).
/// </summary>
internal sealed class SingleFlight<T> where T : class
{
    private readonly Lock _gate = new();
    private T? _current;
    private Task<T>? _pending;

    public ValueTask<T> GetAsync<TState>(TState state, Func<T, TState, bool> isFresh, Func<TState, Task<T>> fetch, CancellationToken cancellationToken)
    {
        Task<T> pending;
        lock (_gate)
        {
            if (_current is { } current && isFresh(current, state)) return new(current);
            pending = _pending ??= FetchAndStoreAsync(fetch, state);
        }
        // One caller giving up must not cancel the fetch the others wait for.
        return new(pending.WaitAsync(cancellationToken));
    }

    /// <summary>The cached value, fresh or not; null before the first fetch succeeded or after it was invalidated.</summary>
    public T? Current
    {
        get
        {
            lock (_gate) return _current;
        }
    }

    /// <summary>Drops the cached value if it is still <paramref name="stale"/>, so a renewal seen by many fetches once.</summary>
    public void Invalidate(T stale)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_current, stale)) _current = null;
        }
    }

    /// <summary>Caches <paramref name="value"/> in place of whatever is held (e.g. a token obtained elsewhere).</summary>
    public void Replace(T value)
    {
        lock (_gate) _current = value;
    }

    private async Task<T> FetchAndStoreAsync<TState>(Func<TState, Task<T>> fetch, TState state)
    {
        // Leave the lock before fetching, so a synchronous failure cannot become the cached pending task.
        await Task.Yield();
        try
        {
            var value = await fetch(state);
            lock (_gate)
            {
                _current = value;
                _pending = null;
            }
            return value;
        }
        catch
        {
            lock (_gate) _pending = null;
            throw;
        }
    }
}
