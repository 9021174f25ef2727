using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Ett.Gateway.Errors;

namespace Ett.Gateway.Tests.Errors;

public class EttErrorsTests
{
    private static Task<GatewayProblemException> Translate(int status, string? body, string? mediaType = "application/json")
    {
        var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body ?? "")) };
        if (mediaType is not null) response.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return EttErrors.ToProblemAsync(response, CancellationToken.None);
    }

    [Fact]
    public async Task Problem_details_from_ett_keep_its_detail_and_trace_id()
    {
        var problem = await Translate(404,
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"Not Found","status":404,"detail":"Wallet not found.","traceId":"00-4bf92f-00f067-01"}""",
            "application/problem+json");

        Assert.Equal((404, ProblemTypes.NotFound, "Wallet not found."), (problem.Status, problem.Type, problem.Detail));
        Assert.Equal(404, problem.Extensions["upstreamStatus"]);
        Assert.Equal("00-4bf92f-00f067-01", problem.Extensions["upstreamTraceId"]);
        Assert.Null(problem.Errors);
    }

    [Fact]
    public async Task Problem_details_without_detail_use_ett_title()
    {
        var problem = await Translate(404, """{"title":"Not Found","status":404}""");

        Assert.Equal((404, ProblemTypes.NotFound, "Not Found"), (problem.Status, problem.Type, problem.Detail));
    }

    [Fact]
    public async Task Conflict_from_ett_names_its_first_field_error_as_the_detail()
    {
        var problem = await Translate(409,
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.10","title":"One or more validation errors occurred.","status":409,"errors":{"contracts":["Overlapping contract exists for GSRN 571313100000000011."]}}""");

        Assert.Equal((409, ProblemTypes.Conflict, "Overlapping contract exists for GSRN 571313100000000011."), (problem.Status, problem.Type, problem.Detail));
        Assert.Null(problem.Errors);
    }

    [Fact]
    public async Task Validation_problem_from_ett_becomes_validation_with_its_errors()
    {
        var problem = await Translate(400,
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,"errors":{"organizationId":["The organizationId field is required."],"Quantity":"Must be positive."}}""");

        Assert.Equal((400, ProblemTypes.Validation, "One or more validation errors occurred."), (problem.Status, problem.Type, problem.Detail));
        Assert.Equal(["The organizationId field is required."], problem.Errors!["organizationId"]);
        Assert.Equal(["Must be positive."], problem.Errors["Quantity"]);
    }

    [Theory]
    [InlineData("""{"type":"https://docs.api-versioning.org/problems#unsupported","title":"Unsupported API version","status":400,"code":"UnsupportedApiVersion"}""")]
    [InlineData("""{"type":"https://docs.api-versioning.org/problems#unspecified","title":"Unspecified API version","status":400,"code":"ApiVersionUnspecified"}""")]
    public async Task Ett_refusing_the_pinned_api_version_is_a_gateway_fault(string body)
    {
        var problem = await Translate(400, body, "application/problem+json");

        Assert.Equal((502, ProblemTypes.UpstreamVersionUnsupported), (problem.Status, problem.Type));
        Assert.Equal(400, problem.Extensions["upstreamStatus"]);
    }

    [Fact]
    public async Task Ett_error_shape_uses_its_description()
    {
        var problem = await Translate(403,
            """{"status":"Forbidden","statusCode":403,"description":"Not authorized to access organization with id 7c6f0e1a-6f0c-4b71-9a57-4a2f4f2d9b43"}""",
            "application/problem+json");

        Assert.Equal((403, ProblemTypes.NotConsented), (problem.Status, problem.Type));
        Assert.Equal("Not authorized to access organization with id 7c6f0e1a-6f0c-4b71-9a57-4a2f4f2d9b43", problem.Detail);
        Assert.Equal(403, problem.Extensions["upstreamStatus"]);
    }

    [Fact]
    public async Task Bare_json_string_becomes_the_detail()
    {
        var problem = await Translate(400, "\"Unable to interact with a disabled wallet.\"");

        Assert.Equal((400, ProblemTypes.UpstreamRejected, "Unable to interact with a disabled wallet."),
            (problem.Status, problem.Type, problem.Detail));
    }

    [Fact]
    public async Task Plain_text_becomes_the_detail()
    {
        var problem = await Translate(409, "Contract overlaps an existing contract.\n", "text/plain");

        Assert.Equal((409, ProblemTypes.Conflict, "Contract overlaps an existing contract."), (problem.Status, problem.Type, problem.Detail));
    }

    [Fact]
    public async Task Empty_403_explains_both_causes_ett_does_not_distinguish()
    {
        var problem = await Translate(403, null, mediaType: null);

        Assert.Equal((403, ProblemTypes.NotConsented), (problem.Status, problem.Type));
        Assert.Contains("not consented", problem.Detail);
        Assert.Contains("trial", problem.Detail);
    }

    [Theory]
    [InlineData(400, 400, ProblemTypes.UpstreamRejected)]
    [InlineData(401, 502, ProblemTypes.UpstreamUnavailable)]
    [InlineData(403, 403, ProblemTypes.NotConsented)]
    [InlineData(404, 404, ProblemTypes.NotFound)]
    [InlineData(405, 502, ProblemTypes.UpstreamRejected)]
    [InlineData(409, 409, ProblemTypes.Conflict)]
    [InlineData(422, 400, ProblemTypes.UpstreamRejected)]
    [InlineData(429, 503, ProblemTypes.UpstreamUnavailable)]
    [InlineData(500, 502, ProblemTypes.UpstreamUnavailable)]
    [InlineData(502, 502, ProblemTypes.UpstreamUnavailable)]
    [InlineData(503, 503, ProblemTypes.UpstreamUnavailable)]
    [InlineData(504, 504, ProblemTypes.UpstreamUnavailable)]
    public async Task Empty_body_maps_by_status(int upstreamStatus, int status, string type)
    {
        var problem = await Translate(upstreamStatus, "", mediaType: null);

        Assert.Equal((status, type), (problem.Status, problem.Type));
        Assert.Equal(upstreamStatus, problem.Extensions["upstreamStatus"]);
        Assert.False(string.IsNullOrWhiteSpace(problem.Detail));
    }

    [Fact]
    public async Task Stack_traces_tokens_and_secrets_never_reach_the_detail()
    {
        const string jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjbGllbnQifQ.c2lnbmF0dXJl";
        var problem = await Translate(500,
            $"System.InvalidOperationException: token {jwt} rejected (Bearer abc.def-ghi, client_secret=s3cr3t)\n   at Ett.Wallet.Do() in /src/Wallet.cs:line 42",
            "text/plain");

        Assert.Equal("System.InvalidOperationException: token [redacted] rejected (Bearer [redacted], client_secret=[redacted])", problem.Detail);
        Assert.DoesNotContain("Wallet.cs", problem.Message);
    }

    [Fact]
    public async Task Html_error_pages_are_not_passed_on()
    {
        var problem = await Translate(502, "<html><body>502 Bad Gateway nginx</body></html>", "text/html");

        Assert.Equal((502, ProblemTypes.UpstreamUnavailable, "ETT answered 502 without a body."), (problem.Status, problem.Type, problem.Detail));
    }

    [Fact]
    public async Task Long_messages_are_cut()
    {
        var problem = await Translate(400, "\"" + new string('x', 2000) + "\"");

        Assert.Equal(501, problem.Detail!.Length);
        Assert.EndsWith("…", problem.Detail);
    }

    [Fact]
    public async Task Malformed_json_is_read_as_text()
    {
        var problem = await Translate(400, "{not json", "application/json");

        Assert.Equal((400, ProblemTypes.UpstreamRejected, "{not json"), (problem.Status, problem.Type, problem.Detail));
    }

    public static TheoryData<Exception, int> TransportFailures => new()
    {
        { new HttpRequestException("Connection refused (ett.internal:443)"), 502 },
        { new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing.", new TimeoutException()), 504 },
        { new System.Net.Sockets.SocketException(10061), 502 },
    };

    [Theory]
    [MemberData(nameof(TransportFailures))]
    public void Transport_failures_become_upstream_unavailable_without_their_message(Exception failure, int status)
    {
        var problem = EttErrors.FromTransportFailure(failure, CancellationToken.None);

        Assert.Equal((status, ProblemTypes.UpstreamUnavailable), (problem!.Status, problem.Type));
        Assert.DoesNotContain(failure.Message, problem.Detail);
        Assert.Same(failure, problem.InnerException);
    }

    [Fact]
    public void The_callers_own_cancellation_is_not_a_transport_failure()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Null(EttErrors.FromTransportFailure(new TaskCanceledException(), cancelled.Token));
        Assert.Null(EttErrors.FromTransportFailure(new InvalidOperationException("bug"), CancellationToken.None));
    }
}
