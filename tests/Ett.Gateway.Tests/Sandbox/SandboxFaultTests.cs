using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Gateway.Tests.Features;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;
using Ett.Sandbox.Faults;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>
/// Fault injection, through the gateway: each kind set by configuration (<c>Sandbox:Faults:N:*</c>) and at run time
/// (<c>POST /sandbox/control/faults</c>), and what the gateway's caller sees. Latency and hangs run on the fake clock.
/// </summary>
public sealed class SandboxFaultTests
{
    private const string MeteringPointsPath = "/sandbox/ett/api/measurements/meteringpoints";
    private static readonly string MeteringPoints = $"/organizations/{SandboxSeed.ProducerOrganizationId}/metering-points";

    public static TheoryData<bool> BothWays() => [true, false];

    [Theory]
    [MemberData(nameof(BothWays))]
    public async Task Status_fault_answers_its_status_and_the_caller_gets_upstream_unavailable(bool byConfiguration)
    {
        await using var env = await FaultedAsync(new SandboxFault { Kind = SandboxFaultKind.Status, Status = 503, Path = MeteringPointsPath }, byConfiguration);

        var response = await (await env.CallerAsync()).GetAsync(MeteringPoints);

        await response.ProblemAsync(HttpStatusCode.ServiceUnavailable, "upstream-unavailable");
        Assert.Equal(0, env.Sandbox.State.CallsTo("GET", "/api/measurements/meteringpoints"));
        Assert.Single(env.Faults.Applied, a => a.Kind == SandboxFaultKind.Status);
    }

    [Theory]
    [MemberData(nameof(BothWays))]
    public async Task Reset_fault_drops_the_connection_and_the_caller_gets_a_502(bool byConfiguration)
    {
        await using var env = await FaultedAsync(new SandboxFault { Kind = SandboxFaultKind.Reset, Path = MeteringPointsPath }, byConfiguration);

        var response = await (await env.CallerAsync()).GetAsync(MeteringPoints);

        await response.ProblemAsync(HttpStatusCode.BadGateway, "upstream-unavailable");
        Assert.Equal(0, env.Sandbox.State.CallsTo("GET", "/api/measurements/meteringpoints"));
    }

    [Theory]
    [MemberData(nameof(BothWays))]
    public async Task Html_fault_is_a_200_html_page_and_the_caller_gets_a_502_not_a_500(bool byConfiguration)
    {
        await using var env = await FaultedAsync(new SandboxFault { Kind = SandboxFaultKind.Html, Path = MeteringPointsPath }, byConfiguration);

        var response = await (await env.CallerAsync()).GetAsync(MeteringPoints);

        var problem = await response.ProblemAsync(HttpStatusCode.BadGateway, "upstream-unavailable");
        Assert.DoesNotContain("<html", problem.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(BothWays))]
    public async Task Truncated_fault_cuts_the_body_and_the_caller_gets_a_502(bool byConfiguration)
    {
        await using var env = await FaultedAsync(new SandboxFault { Kind = SandboxFaultKind.Truncated, Path = MeteringPointsPath }, byConfiguration);

        var response = await (await env.CallerAsync()).GetAsync(MeteringPoints);

        await response.ProblemAsync(HttpStatusCode.BadGateway, "upstream-unavailable");
        Assert.Equal(1, env.Sandbox.State.CallsTo("GET", "/api/measurements/meteringpoints"));
    }

    [Theory]
    [MemberData(nameof(BothWays))]
    public async Task Latency_fault_holds_the_answer_until_the_clock_passes_its_delay(bool byConfiguration)
    {
        await using var env = await FaultedAsync(
            new SandboxFault { Kind = SandboxFaultKind.Latency, Delay = TimeSpan.FromSeconds(20), Path = MeteringPointsPath }, byConfiguration);
        var caller = await env.CallerAsync();

        var pending = caller.GetAsync(MeteringPoints);
        await env.Faults.HeldAsync().WaitAsync(TimeSpan.FromMinutes(1));
        var answeredBeforeTheDelay = pending.IsCompleted;
        env.Time.Advance(TimeSpan.FromSeconds(20));
        var response = await pending;

        Assert.False(answeredBeforeTheDelay);
        await response.JsonAsync(HttpStatusCode.OK);
    }

    [Theory]
    [MemberData(nameof(BothWays))]
    public async Task Hang_fault_never_answers_and_when_its_time_is_up_the_caller_gets_a_502(bool byConfiguration)
    {
        await using var env = await FaultedAsync(
            new SandboxFault { Kind = SandboxFaultKind.Hang, Delay = TimeSpan.FromMinutes(5), Path = MeteringPointsPath }, byConfiguration);
        var caller = await env.CallerAsync();

        var pending = caller.GetAsync(MeteringPoints);
        await env.Faults.HeldAsync().WaitAsync(TimeSpan.FromMinutes(1));
        env.Time.Advance(TimeSpan.FromMinutes(4));
        var answeredBeforeItsTime = pending.IsCompleted;
        env.Time.Advance(TimeSpan.FromMinutes(1));
        var response = await pending;

        Assert.False(answeredBeforeItsTime);
        await response.ProblemAsync(HttpStatusCode.BadGateway, "upstream-unavailable");
        Assert.Equal(0, env.Sandbox.State.CallsTo("GET", "/api/measurements/meteringpoints"));
    }

    [Theory]
    [MemberData(nameof(BothWays))]
    public async Task Response_lost_fault_applies_the_transfer_and_the_caller_never_hears(bool byConfiguration)
    {
        await using var env = await FaultedAsync(
            new SandboxFault { Kind = SandboxFaultKind.ResponseLost, Method = "POST", Path = "/sandbox/ett/wallet-api/transfers" }, byConfiguration);
        using var ett = await env.Sandbox.CreateEttClientAsync();
        var receiverId = await ett.CreateReceiverAsync(SandboxSeed.ProducerOrganizationId, SandboxSeed.TraderOrganizationId);
        var certificate = (await ett.AvailableCertificatesAsync(SandboxSeed.ProducerOrganizationId, "production"))[0]!;
        var caller = await env.CallerAsync();

        var response = await caller.PostAsJsonAsync($"/ett/wallet-api/transfers?organizationId={SandboxSeed.ProducerOrganizationId}", new
        {
            certificateId = certificate["federatedStreamId"]!.DeepClone(),
            receiverId,
            quantity = 1000,
            hashedAttributes = Array.Empty<string>(),
        });
        await env.Sandbox.State.WhenIdleAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var applied = Assert.Single(env.Sandbox.State.Ledger(SandboxSeed.ProducerOrganizationId)!.Requests);
        Assert.Equal(("transfer", 1000L, "completed"), (applied.Kind, applied.QuantityWh, applied.Status));
    }

    [Fact]
    public async Task Fault_with_times_applies_to_that_many_matching_requests_then_is_gone()
    {
        await using var env = await FaultedAsync(new SandboxFault { Kind = SandboxFaultKind.Status, Status = 500, Path = MeteringPointsPath, Times = 1 }, byConfiguration: false);
        var caller = await env.CallerAsync();

        var first = await caller.GetAsync(MeteringPoints);
        var second = await caller.GetAsync(MeteringPoints);

        await first.ProblemAsync(HttpStatusCode.BadGateway, "upstream-unavailable");
        await second.JsonAsync(HttpStatusCode.OK);
        Assert.Empty(env.Faults.List());
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public async Task Fault_expiring_after_requests_lapses_once_that_many_requests_have_passed_matching_or_not(int expiresAfterRequests, bool applied)
    {
        await using var sandbox = await SandboxServer.StartAsync();
        sandbox.Faults.Add(new SandboxFault { Kind = SandboxFaultKind.Status, Status = 418, Path = MeteringPointsPath, ExpiresAfterRequests = expiresAfterRequests });
        using var ett = sandbox.CreateClient();

        using var first = await ett.GetAsync("/sandbox/ett/wallet-api/wallets");
        using var second = await ett.GetAsync("/sandbox/ett/wallet-api/wallets");
        using var third = await ett.GetAsync(MeteringPointsPath);

        Assert.Equal(applied, third.StatusCode == (HttpStatusCode)418);
        Assert.Equal(applied ? 1 : 0, sandbox.Faults.Applied.Count);
        Assert.NotEqual((HttpStatusCode)418, first.StatusCode);
        Assert.NotEqual((HttpStatusCode)418, second.StatusCode);
    }

    [Fact]
    public async Task Fault_matches_its_method_and_path_only()
    {
        await using var env = await FaultedAsync(new SandboxFault { Kind = SandboxFaultKind.Status, Method = "POST", Path = "/sandbox/ett/api/*" }, byConfiguration: true);
        var caller = await env.CallerAsync();

        var response = await caller.GetAsync(MeteringPoints);

        await response.JsonAsync(HttpStatusCode.OK);
        Assert.Empty(env.Faults.Applied);
    }

    [Fact]
    public async Task Control_endpoint_lists_and_removes_faults()
    {
        await using var env = await FaultedAsync(new SandboxFault { Kind = SandboxFaultKind.Reset, Path = MeteringPointsPath }, byConfiguration: false);
        using var control = env.Sandbox.CreateClient();

        var listed = JsonDocument.Parse(await control.GetStringAsync("sandbox/control/faults")).RootElement;
        var id = listed[0].GetProperty("id").GetGuid();
        using var removed = await control.DeleteAsync($"sandbox/control/faults/{id}");
        using var again = await control.DeleteAsync($"sandbox/control/faults/{id}");

        Assert.Equal("Reset", listed[0].GetProperty("fault").GetProperty("kind").GetString());
        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NotFound), (removed.StatusCode, again.StatusCode));
        await (await (await env.CallerAsync()).GetAsync(MeteringPoints)).JsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Control_endpoint_refuses_an_unknown_fault_kind()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var control = sandbox.CreateClient();

        using var response = await control.PostAsJsonAsync("sandbox/control/faults", new { kind = "Meteor", path = "*" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(sandbox.Faults.List());
    }

    /// <summary>A sandbox with <paramref name="fault"/> in force — from its configuration, or posted to its control endpoint — and a gateway on it.</summary>
    private static async Task<FaultedGateway> FaultedAsync(SandboxFault fault, bool byConfiguration)
    {
        var time = TestClock.Create();
        var configuration = byConfiguration ? ConfigurationOf(fault) : [];
        var sandbox = await SandboxServer.StartAsync(time, configuration: configuration);
        if (!byConfiguration)
        {
            using var control = sandbox.CreateClient();
            using var added = await control.PostAsync("sandbox/control/faults", JsonContent.Create(fault, options: ControlJson));
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }

        var gateway = new GatewayFactory(new Dictionary<string, string?>
        {
            ["Ett:BaseUrl"] = sandbox.EttBaseAddress.AbsoluteUri,
            ["Ett:TokenUrl"] = sandbox.EttTokenUrl.AbsoluteUri,
            ["Ett:ClientId"] = SandboxSeed.EttClientId,
            ["Ett:ClientSecret"] = SandboxSeed.EttClientSecret,
            ["Callers:Authority"] = sandbox.IdpIssuer,
            ["Callers:Audience"] = sandbox.Options.IdpAudience,
            // What a caller sees of one ETT failure: the gateway's own retries and budgets are tested in Upstream/EttResilienceTests.
            ["Ett:Resilience:MaxRetries"] = "0",
            ["Ett:Resilience:Timeout"] = "00:10:00",
            ["Ett:Resilience:AttemptTimeout"] = "00:10:00",
        }, time);
        return new FaultedGateway(sandbox, gateway, time);
    }

    private static readonly JsonSerializerOptions ControlJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private static Dictionary<string, string?> ConfigurationOf(SandboxFault fault) => new()
    {
        ["Sandbox:Faults:0:Kind"] = fault.Kind.ToString(),
        ["Sandbox:Faults:0:Path"] = fault.Path,
        ["Sandbox:Faults:0:Method"] = fault.Method,
        ["Sandbox:Faults:0:Delay"] = fault.Delay?.ToString("c"),
        ["Sandbox:Faults:0:Status"] = fault.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Sandbox:Faults:0:Times"] = fault.Times?.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private sealed record FaultedGateway(SandboxServer Sandbox, GatewayFactory Gateway, Microsoft.Extensions.Time.Testing.FakeTimeProvider Time) : IAsyncDisposable
    {
        public SandboxFaults Faults => Sandbox.Faults;

        public async Task<HttpClient> CallerAsync() => Gateway.CreateCaller(await Sandbox.GetCallerTokenAsync());

        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await Sandbox.DisposeAsync();
        }
    }
}
