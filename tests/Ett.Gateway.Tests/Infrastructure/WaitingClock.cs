using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Ett.Gateway.Tests.Infrastructure;

/// <summary>
/// A <see cref="FakeTimeProvider"/> at <see cref="TestClock.Start"/> that tells a test when the gateway starts waiting
/// on it (a timeout, a retry delay), so the test advances time exactly then — no real sleeping, no racing.
/// </summary>
public sealed class WaitingClock() : FakeTimeProvider(TestClock.Start)
{
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _timers.Writer.TryWrite(dueTime);
        return new WatchedTimer(base.CreateTimer(callback, state, dueTime, period), _timers.Writer);
    }

    /// <summary>Completes once a timer due after <paramref name="dueTime"/> has been (or had been) created.</summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime, Task? orUntil = null)
    {
        using var stop = new CancellationTokenSource();
        _ = orUntil?.ContinueWith(_ => stop.Cancel(), TaskScheduler.Default);
        try
        {
            await foreach (var due in _timers.Reader.ReadAllAsync(stop.Token))
                if (due == dueTime) return;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The awaited call finished first: there is nothing more to wait for.
        }
    }

    // CancellationTokenSource(delay, timeProvider) creates its timer unarmed and arms it with Change.
    private sealed class WatchedTimer(ITimer timer, ChannelWriter<TimeSpan> armed) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            armed.TryWrite(dueTime);
            return timer.Change(dueTime, period);
        }

        public void Dispose() => timer.Dispose();

        public ValueTask DisposeAsync() => timer.DisposeAsync();
    }
}
