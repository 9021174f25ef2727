using System.Net;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox.Faults;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>
/// <c>POST /sandbox/control/idle</c>: answers once ETT has nothing in hand (no request running, one a fault holds
/// included, and no transfer or claim queued), so that a test of real processes waits for an event, not for a clock.
/// </summary>
public sealed class SandboxControlTests
{
    private const string MeteringPointsPath = "/sandbox/ett/api/measurements/meteringpoints";

    [Fact]
    public async Task Idle_answers_at_once_when_no_ETT_request_is_running()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var control = sandbox.CreateClient();

        using var idle = await control.PostAsync("sandbox/control/idle", null);

        Assert.Equal(HttpStatusCode.NoContent, idle.StatusCode);
    }

    [Fact]
    public async Task Idle_waits_for_an_ETT_request_a_fault_holds_and_answers_once_it_ends()
    {
        var time = TestClock.Create();
        await using var sandbox = await SandboxServer.StartAsync(time);
        sandbox.Faults.Add(new SandboxFault { Kind = SandboxFaultKind.Hang, Path = MeteringPointsPath, Delay = TimeSpan.FromSeconds(10) });
        using var ett = sandbox.CreateClient();
        using var control = sandbox.CreateClient();
        var held = ett.GetAsync(MeteringPointsPath);
        await sandbox.Faults.HeldAsync();

        var idle = control.PostAsync("sandbox/control/idle", null);
        // A control round trip while the request is held: idle has had its chance to answer, and must not have.
        await control.GetStringAsync("sandbox/control/faults");
        var answeredWhileHeld = idle.IsCompleted;
        time.Advance(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => held);
        using var answered = await idle;

        Assert.False(answeredWhileHeld);
        Assert.Equal(HttpStatusCode.NoContent, answered.StatusCode);
    }
}
