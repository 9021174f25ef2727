using System.Net;
using System.Net.Http.Json;
using System.Text;
using Ett.Gateway.Tests.Features;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Gateway.Tests.Upstream;

/// <summary>
/// ETT misbehaving under the resilience pipelines, on a fake clock the test advances exactly when the gateway waits on
/// it (<see cref="WaitingClock"/>): no sleeping, and every duration below is fake time.
/// </summary>
public class EttResilienceTests : IAsyncLifetime
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan TokenTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Within = TimeSpan.FromMilliseconds(100);
    private const int MaxAnswerBytes = 1024 * 1024;

    private readonly Guid _organization = Guid.NewGuid();
    private readonly WaitingClock _clock = new();
    private FakeUpstreams _upstreams = null!;
    private GatewayFactory _gateway = null!;
    private HttpClient _caller = null!;

    private string ContractsPath => $"/organizations/{_organization}/contracts";

    public async Task InitializeAsync()
    {
        _upstreams = await FakeUpstreams.StartAsync();
        _upstreams.TokenOrganizations = [_organization];
        var settings = GatewayFactory.SettingsFor(_upstreams);
        settings["Ett:Resilience:Timeout"] = Budget.ToString();
        settings["Ett:Resilience:AttemptTimeout"] = AttemptTimeout.ToString();
        settings["Ett:Resilience:TokenTimeout"] = TokenTimeout.ToString();
        settings["Ett:Resilience:MaxRetries"] = "2";
        settings["Ett:Resilience:BreakerMinimumThroughput"] = "3";
        settings["Ett:Resilience:BreakerFailureRatio"] = "0.5";
        settings["Ett:Resilience:BreakerSamplingDuration"] = "00:00:30";
        settings["Ett:Resilience:BreakDuration"] = BreakDuration.ToString();
        settings["Ett:Resilience:MaxAnswerBytes"] = MaxAnswerBytes.ToString();
        _gateway = new GatewayFactory(settings, _clock);
        _caller = _gateway.CreateCaller(_upstreams.CallerToken());
    }

    public async Task DisposeAsync()
    {
        _caller.Dispose();
        await _gateway.DisposeAsync();
        await _upstreams.DisposeAsync();
    }

    private int ContractCalls(string method) =>
        _upstreams.EttRequests.Count(r => r.Method == method && r.Path == "/api/certificates/contracts");

    private Task<HttpResponseMessage> PostContractAsync() =>
        _caller.PostAsJsonAsync(ContractsPath, new { gsrn = "571313100000000011", start = TestClock.Start.AddDays(1) });

    /// <summary>ETT receives the request, then says nothing until the gateway gives up; <paramref name="arrived"/> says when it got there.</summary>
    private static Func<HttpContext, RecordedRequest, Task> Hangs(TaskCompletionSource arrived) => async (context, _) =>
    {
        arrived.TrySetResult();
        await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
    };

    private static Task Contracts(HttpContext context) =>
        context.Response.WriteAsJsonAsync(new { result = Array.Empty<object>() });

    [Fact]
    public async Task A_post_that_times_out_is_sent_exactly_once_and_answers_504_within_its_budget()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _upstreams.EttBehaviour = Hangs(arrived);
        var start = _clock.GetUtcNow();

        var call = PostContractAsync();
        await arrived.Task;
        _clock.Advance(AttemptTimeout);
        var response = await call;

        await response.ProblemAsync(HttpStatusCode.GatewayTimeout, "upstream-unavailable");
        Assert.True(_clock.GetUtcNow() - start <= Budget + Within);
        Assert.Equal(1, ContractCalls("POST"));
    }

    [Fact]
    public async Task A_post_whose_connection_is_reset_is_sent_exactly_once_even_on_a_reused_connection()
    {
        _upstreams.EttBehaviour = (context, request) =>
        {
            if (request.Method == "GET") return Contracts(context);
            context.Abort();
            return Task.CompletedTask;
        };
        // The GET leaves a pooled connection behind: SocketsHttpHandler retries some failures on reused connections itself.
        Assert.Equal(HttpStatusCode.OK, (await _caller.GetAsync(ContractsPath)).StatusCode);

        var response = await PostContractAsync();

        await response.ProblemAsync(HttpStatusCode.BadGateway, "upstream-unavailable");
        Assert.Equal(1, ContractCalls("POST"));
    }

    [Fact]
    public async Task A_get_is_retried_after_a_reset_and_a_503_honouring_retry_after_and_answers_within_its_budget()
    {
        var attempts = 0;
        _upstreams.EttBehaviour = (context, _) =>
        {
            switch (Interlocked.Increment(ref attempts))
            {
                case 1:
                    context.Abort();
                    return Task.CompletedTask;
                case 2:
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    context.Response.Headers.RetryAfter = "1";
                    return Task.CompletedTask;
                default:
                    return Contracts(context);
            }
        };
        var start = _clock.GetUtcNow();

        var call = _caller.GetAsync(ContractsPath);
        await _clock.WaitForTimerAsync(TimeSpan.FromSeconds(1), call);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var response = await call;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, ContractCalls("GET"));
        Assert.Equal(TimeSpan.FromSeconds(1), _clock.GetUtcNow() - start);
    }

    [Fact]
    public async Task A_get_to_a_hanging_ett_answers_504_within_its_budget_plus_100ms()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _upstreams.EttBehaviour = Hangs(arrived);
        var start = _clock.GetUtcNow();

        var call = _caller.GetAsync(ContractsPath);
        await arrived.Task;
        _clock.Advance(Budget);
        var response = await call;

        await response.ProblemAsync(HttpStatusCode.GatewayTimeout, "upstream-unavailable");
        Assert.True(_clock.GetUtcNow() - start <= Budget + Within);
    }

    [Theory]
    [InlineData("contracts")]
    [InlineData("certificates?limit=50")] // read whole before it is parsed
    public async Task A_get_whose_answer_stalls_after_the_headers_answers_504_within_its_budget_plus_100ms(string list)
    {
        // ETT takes a second to answer, then sends its headers and the start of the body, and nothing more.
        var headersAfter = TimeSpan.FromSeconds(1);
        _upstreams.EttBehaviour = async (context, _) =>
        {
            _clock.Advance(headersAfter);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"result":[""");
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        };
        var start = _clock.GetUtcNow();

        var call = _caller.GetAsync($"/organizations/{_organization}/{list}");
        await _clock.WaitForTimerAsync(Budget - headersAfter, call);
        _clock.Advance(Budget - headersAfter);
        var response = await call;

        await response.ProblemAsync(HttpStatusCode.GatewayTimeout, "upstream-unavailable");
        Assert.True(_clock.GetUtcNow() - start <= Budget + Within);
        Assert.Single(_upstreams.EttRequests);
    }

    [Fact]
    public async Task A_retry_after_beyond_the_budget_is_not_waited_for()
    {
        _upstreams.EttBehaviour = (context, _) =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "120";
            return Task.CompletedTask;
        };

        var response = await _caller.GetAsync(ContractsPath);

        await response.ProblemAsync(HttpStatusCode.ServiceUnavailable, "upstream-unavailable");
        Assert.Equal(["120"], response.Headers.GetValues("Retry-After"));
        Assert.Equal(1, ContractCalls("GET"));
    }

    [Fact]
    public async Task The_breaker_opens_after_the_configured_failures_fails_fast_half_opens_and_recovers()
    {
        var failing = true;
        _upstreams.EttBehaviour = (context, _) =>
        {
            if (!failing || !context.Request.Path.Value!.EndsWith("/contracts", StringComparison.Ordinal)) return Contracts(context);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return Task.CompletedTask;
        };

        // One GET and its two retries: three failed attempts, the configured minimum, open the Certificates circuit.
        var failed = await _caller.GetAsync(ContractsPath);
        await failed.ProblemAsync(HttpStatusCode.BadGateway, "upstream-unavailable");
        Assert.Equal(3, ContractCalls("GET"));

        var fastFailed = await _caller.GetAsync(ContractsPath);
        await fastFailed.ProblemAsync(HttpStatusCode.ServiceUnavailable, "upstream-unavailable");
        Assert.Equal([((int)BreakDuration.TotalSeconds).ToString()], fastFailed.Headers.GetValues("Retry-After"));
        Assert.Equal(3, ContractCalls("GET"));

        // Another ETT API group has its own circuit.
        var otherGroup = await _gateway.Services.GetRequiredService<IHttpClientFactory>()
            .CreateClient("ett").GetAsync("api/measurements/meteringpoints");
        Assert.Equal(HttpStatusCode.OK, otherGroup.StatusCode);

        failing = false;
        _clock.Advance(BreakDuration);
        var trial = await _caller.GetAsync(ContractsPath);
        var closed = await _caller.GetAsync(ContractsPath);

        Assert.Equal(HttpStatusCode.OK, trial.StatusCode);
        Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        Assert.Equal(5, ContractCalls("GET"));
    }

    [Fact]
    public async Task Readiness_is_degraded_while_a_circuit_is_open_and_healthy_once_it_recovers()
    {
        var failing = true;
        _upstreams.EttBehaviour = (context, _) =>
        {
            if (!failing) return Contracts(context);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return Task.CompletedTask;
        };
        async Task<System.Text.Json.JsonElement> Ready()
        {
            var response = await _gateway.CreateClient().GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        }

        await _caller.GetAsync(ContractsPath);
        var open = await Ready();
        failing = false;
        _clock.Advance(BreakDuration);
        await _caller.GetAsync(ContractsPath);
        var closed = await Ready();

        Assert.Equal("Degraded", open.GetProperty("status").GetString());
        var circuits = open.GetProperty("checks").GetProperty("ett-circuits");
        Assert.Equal("Degraded", circuits.GetProperty("status").GetString());
        Assert.Equal("Open", circuits.GetProperty("data").GetProperty("Certificates").GetString());
        Assert.Equal("Healthy", closed.GetProperty("status").GetString());
    }

    public static TheoryData<string, string, string?> UnreadableBodies => new()
    {
        { "text/html", "<html><body>Service Unavailable</body></html>", null },
        { "application/json", """{"result":[{"id":"0f9a8d52""", null },
        { "application/json", """{"result":[]}""", "1000" },
    };

    /// <summary>ETT answers <paramref name="body"/>; with a <paramref name="contentLength"/> beyond it, then cuts the connection.</summary>
    private static Func<HttpContext, RecordedRequest, Task> Answers(string contentType, string body, string? contentLength) => async (context, _) =>
    {
        context.Response.ContentType = contentType;
        if (contentLength is not null) context.Response.Headers.ContentLength = long.Parse(contentLength);
        await context.Response.WriteAsync(body);
        if (contentLength is not null)
        {
            await context.Response.Body.FlushAsync();
            context.Abort();
        }
    };

    [Theory]
    [MemberData(nameof(UnreadableBodies))]
    public async Task A_composite_read_of_an_html_or_truncated_body_is_a_502_problem(string contentType, string body, string? contentLength)
    {
        _upstreams.EttBehaviour = Answers(contentType, body, contentLength);

        var response = await _caller.GetAsync(ContractsPath);

        var problem = await response.ProblemAsync(HttpStatusCode.BadGateway, "upstream-unavailable");
        Assert.DoesNotContain("Service Unavailable", problem.ToString());
    }

    private string CertificatesPath => $"/organizations/{_organization}/certificates?limit=50";

    private const string OneCertificate = """
        {"federatedStreamId":{"registry":"Energinet.dk","streamId":"0b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21"},"quantity":5,"start":1,"end":2,"gridArea":"DK1","certificateType":"production","attributes":{"a":"b"}}
        """;

    private const string NotTheJson = "ETT answered with a body that is not the JSON expected.";

    /// <summary>With the detail any composite read answered (through the serializer) for the same answer.</summary>
    public static TheoryData<string, string, string?, string> UnreadableCertificateAnswers => new()
    {
        { "text/html", "<html><body>Service Unavailable</body></html>", null, NotTheJson },
        { "application/json", """{"result":[{"federatedStreamId":{"registry":"Energinet.dk\""", null, NotTheJson },
        { "application/json", $$$"""{"result":[{{{OneCertificate}}}],"metadata":{"total":1}}""", "100000", "ETT could not be reached." },
        { "application/json", $$"""{"result":[{{OneCertificate}}]} trailing""", null, NotTheJson },
        { "application/json", $$"""{"result":[{{OneCertificate.Replace("\"b\"", "\"\\uD800\"")}}]}""", null, NotTheJson },
        { "application/json", $$"""{"result":[{{OneCertificate.Replace("\"b\"", "{}")}}]}""", null, NotTheJson },
        { "application/json", "", null, NotTheJson },
    };

    [Theory]
    [MemberData(nameof(UnreadableCertificateAnswers))]
    public async Task A_certificates_page_of_an_unreadable_or_cut_off_answer_is_the_502_problem_of_any_composite_read(string contentType, string body, string? contentLength, string detail)
    {
        _upstreams.EttBehaviour = Answers(contentType, body, contentLength);

        var response = await _caller.GetAsync(CertificatesPath);

        var problem = await response.ProblemAsync(HttpStatusCode.BadGateway, "upstream-unavailable");
        Assert.Equal(detail, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_huge_certificates_answer_is_still_read_only_within_the_calls_budget()
    {
        // Certificates up to just below the byte limit, and no end: the gateway holds what came, and gives up when the budget is spent.
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _upstreams.EttBehaviour = async (context, _) =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"result":[""" + OneCertificate);
            var chunk = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("," + OneCertificate, 4096)));
            for (var written = 0L; written + 2 * chunk.Length < MaxAnswerBytes; written += chunk.Length)
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            sent.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        };
        var start = _clock.GetUtcNow();

        var call = _caller.GetAsync(CertificatesPath);
        await Task.WhenAny(sent.Task, call);
        await _clock.WaitForTimerAsync(Budget, call);
        _clock.Advance(Budget);
        var response = await call;

        await response.ProblemAsync(HttpStatusCode.GatewayTimeout, "upstream-unavailable");
        Assert.True(_clock.GetUtcNow() - start <= Budget + Within);
    }

    public static TheoryData<string, bool, int> AnswersAtTheByteLimit => new()
    {
        // path kind (the serializer's read, the certificates page's whole-body read), announced length, bytes past the limit
        { "contracts", true, 0 }, { "contracts", false, 0 }, { "contracts", true, 1 }, { "contracts", false, 1 },
        { "certificates", true, 0 }, { "certificates", false, 0 }, { "certificates", true, 1 }, { "certificates", false, 1 },
    };

    [Theory]
    [MemberData(nameof(AnswersAtTheByteLimit))]
    public async Task An_answer_of_the_byte_limit_is_read_and_one_byte_more_is_a_502_problem(string kind, bool announced, int beyond)
    {
        var json = kind == "contracts" ? """{"result":[]}""" : $$$"""{"result":[{{{OneCertificate}}}],"metadata":{"total":1}}""";
        var body = Encoding.UTF8.GetBytes(json + new string(' ', MaxAnswerBytes - json.Length + beyond));
        _upstreams.EttBehaviour = async (context, _) =>
        {
            context.Response.ContentType = "application/json";
            if (announced) context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        };

        var response = await _caller.GetAsync(kind == "contracts" ? ContractsPath : CertificatesPath);

        if (beyond == 0)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return;
        }
        var problem = await response.ProblemAsync(HttpStatusCode.BadGateway, "upstream-unavailable");
        Assert.Equal($"ETT answered with more than {MaxAnswerBytes} bytes (Ett:Resilience:MaxAnswerBytes).", problem.GetProperty("detail").GetString());
        Assert.Single(_upstreams.EttRequests, r => r.Method == "GET");
    }

    [Fact]
    public async Task A_hanging_token_endpoint_answers_503_within_its_own_budget()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _upstreams.TokenBehaviour = async context =>
        {
            arrived.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        };
        var start = _clock.GetUtcNow();

        var call = _caller.GetAsync(ContractsPath);
        await arrived.Task;
        await _clock.WaitForTimerAsync(TokenTimeout, call);
        _clock.Advance(TokenTimeout);
        var response = await call;

        await response.ProblemAsync(HttpStatusCode.ServiceUnavailable, "upstream-token-unavailable");
        Assert.True(_clock.GetUtcNow() - start <= TokenTimeout + Within);
        Assert.Equal(0, ContractCalls("GET"));
    }
}
