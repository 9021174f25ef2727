using System.Net;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;
using static Ett.Gateway.Tests.Sandbox.EttCalls;
using static Ett.Sandbox.SandboxSeed;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>The fixture other suites reuse: shared through IClassFixture, listening on loopback only.</summary>
public sealed class SandboxServerFixtureTests(SandboxServer sandbox) : IClassFixture<SandboxServer>
{
    [Fact]
    public async Task Class_fixture_serves_ett_on_a_loopback_port()
    {
        using var ett = await sandbox.CreateEttClientAsync();

        var meteringPoints = (await ett.GetJsonAsync($"api/measurements/meteringpoints?{Org(ProducerOrganizationId)}"))["result"]!.AsArray();

        Assert.Equal(IPAddress.Loopback.ToString(), sandbox.BaseAddress.Host);
        Assert.Equal(new Uri(sandbox.BaseAddress, "sandbox/ett/"), sandbox.EttBaseAddress);
        Assert.Equal($"{sandbox.BaseAddress}sandbox/idp", sandbox.IdpIssuer);
        Assert.Contains(meteringPoints, p => p!["gsrn"]!.GetValue<string>() == ProducerWindGsrn
            && p["meteringPointType"]!.GetValue<string>() == "Production" && p["biddingZone"]!.GetValue<string>() == "DK1");
        Assert.Contains(meteringPoints, p => p!["gsrn"]!.GetValue<string>() == ProducerSolarGsrn && p["biddingZone"]!.GetValue<string>() == "DK2");
    }

    [Fact]
    public void Class_fixture_runs_on_a_fake_clock_started_at_the_fixed_test_instant()
    {
        Assert.NotNull(sandbox.FakeTime);
        Assert.Equal(TestClock.Start, sandbox.Time.GetUtcNow());
        Assert.True(sandbox.State.AvailableWh(ProducerOrganizationId, SandboxCertificateType.Production) > 0);
    }
}
