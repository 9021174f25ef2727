using System.Net.Http.Headers;
using System.Text;
using Ett.Gateway.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Ett.Gateway.Tests.Errors;

public class GatewayProblemHandlerTests
{
    private static HttpResponseMessage EttResponse(int status, string body) => new((System.Net.HttpStatusCode)status)
    {
        Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/problem+json")),
    };

    [Fact]
    public async Task Translated_ett_error_is_written_with_upstream_status_and_trace_id()
    {
        await using var host = await ProblemTestHost.StartAsync(app => app.MapGet("/contracts", async Task<IResult> () =>
            throw await EttErrors.ToProblemAsync(EttResponse(409, "\"Contract overlaps an existing contract.\""), default)));

        var response = await host.Client.GetAsync("/contracts");

        await ProblemAssert.EqualAsync(409, """
            {
              "type": "https://ett-gateway/problems/conflict",
              "title": "ETT reported a conflict",
              "status": 409,
              "detail": "Contract overlaps an existing contract.",
              "upstreamStatus": 409
            }
            """, response);
    }

    [Fact]
    public async Task Ett_validation_errors_are_carried_through()
    {
        await using var host = await ProblemTestHost.StartAsync(app => app.MapPost("/transfers", async Task<IResult> () =>
            throw await EttErrors.ToProblemAsync(EttResponse(400,
                """{"title":"One or more validation errors occurred.","status":400,"errors":{"quantity":["Quantity must be positive."]},"traceId":"00-ett-01"}"""), default)));

        var response = await host.Client.PostAsync("/transfers", null);

        await ProblemAssert.EqualAsync(400, """
            {
              "type": "https://ett-gateway/problems/validation",
              "title": "ETT rejected fields of the request",
              "status": 400,
              "detail": "One or more validation errors occurred.",
              "errors": { "quantity": ["Quantity must be positive."] },
              "upstreamStatus": 400,
              "upstreamTraceId": "00-ett-01"
            }
            """, response);
    }

    [Fact]
    public async Task Transport_failure_is_written_as_upstream_unavailable()
    {
        await using var host = await ProblemTestHost.StartAsync(app => app.MapGet("/wallet", IResult () =>
        {
            var failure = new HttpRequestException("Connection refused (ett.internal:443)");
            throw EttErrors.FromTransportFailure(failure, default)!;
        }));

        var response = await host.Client.GetAsync("/wallet");

        await ProblemAssert.EqualAsync(502, """
            {
              "type": "https://ett-gateway/problems/upstream-unavailable",
              "title": "ETT is unavailable",
              "status": 502,
              "detail": "ETT could not be reached."
            }
            """, response);
    }

    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task Unknown_exception_is_a_500_that_reveals_nothing(string environment)
    {
        await using var host = await ProblemTestHost.StartAsync(
            app => app.MapGet("/boom", string () => throw new InvalidOperationException("connection string Password=hunter2")),
            environment: environment);

        var response = await host.Client.GetAsync("/boom");

        await ProblemAssert.EqualAsync(500, """
            {
              "type": "https://ett-gateway/problems/internal",
              "title": "Unexpected gateway error",
              "status": 500
            }
            """, response);
    }
}
