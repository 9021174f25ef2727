using System.Net;
using System.Net.Http.Json;
using System.Text;
using Ett.Gateway.Tests.Features;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Ett.Gateway.Tests.Defaults;

public class LimitsTests : GatewayTest
{
    private const int Burst = 3;
    private const int MaxBody = 1000;
    private const int PassthroughMaxBody = 4000;
    private const int MaxHeaders = 4096;

    private readonly Guid _organization = Guid.NewGuid();

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Limits:CallerTokenLimit", Burst.ToString());
        builder.UseSetting("Limits:CallerTokensPerPeriod", "1");
        // Refills so slowly that no refill happens during a test, whatever the machine's speed.
        builder.UseSetting("Limits:CallerReplenishmentPeriod", "01:00:00");
        builder.UseSetting("Limits:MaxBodyBytes", MaxBody.ToString());
        builder.UseSetting("Limits:PassthroughMaxBodyBytes", PassthroughMaxBody.ToString());
        builder.UseSetting("Limits:MaxHeaderBytes", MaxHeaders.ToString());
    }

    private string ContractsPath => $"/organizations/{_organization}/contracts";

    [Fact]
    public async Task A_caller_over_its_rate_is_throttled_with_retry_after_while_another_caller_is_served()
    {
        var greedy = Gateway.CreateCaller(Upstreams.CallerToken(clientId: "greedy-app"));
        var other = Gateway.CreateCaller(Upstreams.CallerToken(clientId: "other-app"));
        for (var i = 0; i < Burst; i++) Assert.Equal(HttpStatusCode.OK, (await greedy.GetAsync($"/ett/wallet-api/wallets?organizationId={_organization}")).StatusCode);
        var before = Upstreams.EttRequests.Count;

        var throttled = await greedy.GetAsync($"/ett/wallet-api/wallets?organizationId={_organization}");
        var served = await other.GetAsync($"/ett/wallet-api/wallets?organizationId={_organization}");

        await throttled.ProblemAsync(HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.True(int.Parse(throttled.Headers.GetValues("Retry-After").Single()) >= 1);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(before + 1, Upstreams.EttRequests.Count);
    }

    [Fact]
    public async Task Unauthenticated_requests_and_health_probes_are_not_counted_against_anyone()
    {
        using var anonymous = Gateway.CreateClient();
        for (var i = 0; i < Burst + 2; i++) Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);

        for (var i = 0; i < Burst; i++) Assert.Equal(HttpStatusCode.OK, (await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={_organization}")).StatusCode);
    }

    public static TheoryData<string, string, int> OversizedBodies => new()
    {
        { "composite", "/organizations/{org}/contracts", MaxBody + 1 },
        { "composite, far over", "/organizations/{org}/contracts", 10 * 1024 * 1024 },
        { "operation", "/organizations/{org}/transfers", MaxBody + 1 },
        { "passthrough", "/ett/wallet-api/transfers?organizationId={org}", PassthroughMaxBody + 1 },
    };

    [Theory]
    [MemberData(nameof(OversizedBodies))]
    public async Task A_body_over_its_endpoints_limit_is_a_413_problem_and_reaches_no_one(string kind, string path, int size)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path.Replace("{org}", _organization.ToString()))
        {
            Content = new StringContent($$"""{"gsrn":"{{new string('5', size)}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", "k-" + kind.Length);

        var response = await Caller.SendAsync(request);

        await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "body-too-large");
        Assert.Empty(Upstreams.EttRequests);
        Assert.Empty(Upstreams.TokenRequests);
    }

    [Fact]
    public async Task A_chunked_composite_body_over_the_limit_is_a_413_problem_and_reaches_no_one()
    {
        var body = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"gsrn":"{{new string('5', MaxBody)}}"}""")));
        body.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, ContractsPath) { Content = body };
        request.Headers.TransferEncodingChunked = true;

        var response = await Caller.SendAsync(request);

        await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "body-too-large");
        Assert.Empty(Upstreams.EttRequests);
    }

    /// <summary>Kestrel counts a body without Content-Length itself (the in-memory test server cannot, so the gateway wraps it there).</summary>
    [Theory]
    [InlineData("composite", MaxBody)]
    [InlineData("passthrough", PassthroughMaxBody)]
    public async Task A_chunked_body_over_the_limit_is_a_413_problem_on_kestrel_too(string kind, int limit)
    {
        await using var kestrel = new GatewayFactory(Upstreams, Configure);
        kestrel.UseKestrel(0);
        kestrel.StartServer();
        var caller = kestrel.CreateCaller(Upstreams.CallerToken());
        var path = kind == "composite" ? ContractsPath : $"/ett/wallet-api/transfers?organizationId={_organization}";
        var text = kind == "composite" ? $$"""{"gsrn":"{{new string('5', limit)}}"}""" : new string('x', limit + 1);
        var body = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        body.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body };
        request.Headers.TransferEncodingChunked = true;

        var response = await caller.SendAsync(request);

        await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "body-too-large");
        Assert.DoesNotContain(Upstreams.EttRequests, r => r.Method == "POST");
    }

    [Fact]
    public async Task The_passthrough_has_its_own_larger_body_limit()
    {
        var response = await Caller.PostAsync($"/ett/wallet-api/transfers?organizationId={_organization}",
            new StringContent(new string('x', MaxBody * 2), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MaxBody * 2, Upstreams.EttRequests.Single(r => r.Method == "POST" && r.Path == "/wallet-api/transfers").Body.Length);
    }

    public static TheoryData<string> OversizedHeaderPaths => new()
    {
        "/ett/wallet-api/wallets?organizationId={org}",
        "/organizations/{org}/contracts",
        "/health/ready",
    };

    [Theory]
    [MemberData(nameof(OversizedHeaderPaths))]
    public async Task Headers_over_the_limit_are_a_431_problem_and_reach_no_one(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path.Replace("{org}", _organization.ToString()));
        request.Headers.Add("X-Padding", new string('a', MaxHeaders));

        var response = await Caller.SendAsync(request);

        await response.ProblemAsync(HttpStatusCode.RequestHeaderFieldsTooLarge, "headers-too-large");
        Assert.Empty(Upstreams.EttRequests);
    }

    [Fact]
    public async Task Many_small_headers_adding_up_over_the_limit_are_refused_too()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ett/wallet-api/wallets?organizationId={_organization}");
        for (var i = 0; i < 100; i++) request.Headers.Add($"X-Small-{i}", new string('b', MaxHeaders / 80));

        var response = await Caller.SendAsync(request);

        await response.ProblemAsync(HttpStatusCode.RequestHeaderFieldsTooLarge, "headers-too-large");
        Assert.Empty(Upstreams.EttRequests);
    }
}
