using Microsoft.AspNetCore.Http;

namespace Ett.Sandbox.Control;

/// <summary>
/// Counts the requests of the simulated ETT and its token endpoint while they run (one a fault holds included), so that
/// <c>POST /sandbox/control/idle</c> can answer when ETT has nothing in hand: whoever waits for the sandbox waits for an
/// event, not for a clock.
/// </summary>
internal sealed class SandboxTraffic : IEndpointFilter
{
    private readonly Lock _sync = new();
    private int _running;
    private TaskCompletionSource _changed = NewSignal();

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        Change(+1);
        try
        {
            return await next(context);
        }
        finally
        {
            Change(-1);
        }
    }

    /// <summary>Completes once no request is running and the background queue of <paramref name="state"/> is empty.</summary>
    public async Task WhenIdleAsync(SandboxState state, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task next;
            lock (_sync)
            {
                // A finished request queued its work before it stopped running, so the queue is read after the count.
                var queue = state.WhenIdleAsync();
                if (_running == 0 && queue.IsCompleted)
                {
                    return;
                }

                next = queue.IsCompleted ? _changed.Task : Task.WhenAny(queue, _changed.Task);
            }

            await next.WaitAsync(cancellationToken);
        }
    }

    private void Change(int running)
    {
        TaskCompletionSource changed;
        lock (_sync)
        {
            _running += running;
            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
