using System.Net;
using System.Net.Http.Json;
using Ett.Gateway.Tests.Errors;
using Ett.Gateway.Validation;
using FluentValidation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Gateway.Tests.Validation;

public class RequestValidationTests
{
    public sealed record PageQuery(DateTimeOffset? From, DateTimeOffset? To, int? Limit);

    public sealed record ActivateRequest(string? Gsrn, string? RedirectUrl, Guid WalletId);

    public sealed record Unvalidated(string? Anything);

    private sealed class PageQueryValidator : AbstractValidator<PageQuery>
    {
        public PageQueryValidator()
        {
            RuleFor(q => q.From).Before(q => q.To);
            RuleFor(q => q.Limit).PageLimit();
        }
    }

    private sealed class ActivateRequestValidator : AbstractValidator<ActivateRequest>
    {
        public ActivateRequestValidator()
        {
            RuleFor(r => r.Gsrn).NotNull().WithMessage("Is required.").Gsrn();
            RuleFor(r => r.RedirectUrl).AbsoluteHttpsUrl();
            RuleFor(r => r.WalletId).NonEmptyGuid();
        }
    }

    private static Task<ProblemTestHost> StartAsync(string environment = "Production") => ProblemTestHost.StartAsync(app =>
    {
        var group = app.MapGroup("/organizations/{organizationId}").WithRequestValidation();
        group.MapGet("/certificates", (Guid organizationId, [AsParameters] PageQuery query) => TypedResults.Ok(query.Limit));
        group.MapPost("/contracts", (Guid organizationId, ActivateRequest request) => TypedResults.Ok(request.Gsrn));
        group.MapPost("/notes", (Guid organizationId, Unvalidated note) => TypedResults.Ok(note.Anything));
    }, services =>
    {
        services.AddSingleton<IValidator<PageQuery>, PageQueryValidator>();
        services.AddSingleton<IValidator<ActivateRequest>, ActivateRequestValidator>();
    }, environment);

    private const string Org = "/organizations/7c6f0e1a-6f0c-4b71-9a57-4a2f4f2d9b43";

    [Fact]
    public async Task Valid_request_reaches_the_handler()
    {
        await using var host = await StartAsync();

        var response = await host.Client.GetAsync($"{Org}/certificates?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&limit=1000");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1000", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Invalid_query_answers_a_validation_problem_naming_each_field()
    {
        await using var host = await StartAsync();

        var response = await host.Client.GetAsync($"{Org}/certificates?from=2026-02-01T00:00:00Z&to=2026-02-01T00:00:00Z&limit=0");

        await ProblemAssert.EqualAsync(400, """
            {
              "type": "https://ett-gateway/problems/validation",
              "title": "The request is invalid",
              "status": 400,
              "errors": {
                "from": ["Must be earlier than 'to'."],
                "limit": ["Must be between 1 and 1000."]
              }
            }
            """, response);
    }

    [Fact]
    public async Task Invalid_body_answers_a_validation_problem_naming_each_field()
    {
        await using var host = await StartAsync();

        var response = await host.Client.PostAsJsonAsync($"{Org}/contracts",
            new { gsrn = "57131300000000001", redirectUrl = "http://example.com/done", walletId = Guid.Empty });

        await ProblemAssert.EqualAsync(400, """
            {
              "type": "https://ett-gateway/problems/validation",
              "title": "The request is invalid",
              "status": 400,
              "errors": {
                "gsrn": ["Must be a GSRN: exactly 18 digits."],
                "redirectUrl": ["Must be an absolute https URL."],
                "walletId": ["Must be a non-empty GUID."]
              }
            }
            """, response);
    }

    [Fact]
    public async Task Arguments_without_a_validator_are_not_checked()
    {
        await using var host = await StartAsync();

        var response = await host.Client.PostAsJsonAsync($"{Org}/notes", new { anything = "" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Development")]
    public async Task Bad_guid_in_route_answers_a_validation_problem(string environment)
    {
        await using var host = await StartAsync(environment);

        var response = await host.Client.GetAsync("/organizations/not-a-guid/certificates");

        await ProblemAssert.EqualAsync(400, """
            {
              "type": "https://ett-gateway/problems/validation",
              "title": "The request is invalid",
              "status": 400,
              "detail": "Failed to bind parameter \"Guid organizationId\" from \"not-a-guid\".",
              "errors": { "organizationId": ["Failed to bind parameter \"Guid organizationId\" from \"not-a-guid\"."] }
            }
            """, response);
    }

    [Fact]
    public async Task Bad_date_in_query_answers_a_validation_problem()
    {
        await using var host = await StartAsync();

        var response = await host.Client.GetAsync($"{Org}/certificates?from=yesterday");

        await ProblemAssert.EqualAsync(400, """
            {
              "type": "https://ett-gateway/problems/validation",
              "title": "The request is invalid",
              "status": 400,
              "detail": "Failed to bind parameter \"Nullable<DateTimeOffset> From\" from \"yesterday\".",
              "errors": { "from": ["Failed to bind parameter \"Nullable<DateTimeOffset> From\" from \"yesterday\"."] }
            }
            """, response);
    }

    [Fact]
    public async Task Validated_endpoints_document_their_400_response()
    {
        await using var host = await StartAsync();

        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .ToDictionary(e => e.RoutePattern.RawText!, e => e.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>()
                .Any(m => m is { StatusCode: 400 } && m.Type == typeof(HttpValidationProblemDetails) && m.ContentTypes.Contains("application/problem+json")));

        Assert.True(endpoints["/organizations/{organizationId}/certificates"]);
        Assert.True(endpoints["/organizations/{organizationId}/contracts"]);
        Assert.False(endpoints["/organizations/{organizationId}/notes"]);
    }

    [Fact]
    public async Task Unreadable_body_field_answers_a_validation_problem_naming_the_field()
    {
        await using var host = await StartAsync();

        var response = await host.Client.PostAsync($"{Org}/contracts",
            new StringContent("""{"gsrn":"571313000000000001","walletId":"not-a-guid"}""", System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.EqualAsync(400, """
            {
              "type": "https://ett-gateway/problems/validation",
              "title": "The request is invalid",
              "status": 400,
              "detail": "Failed to read parameter \"ActivateRequest request\" from the request body as JSON.",
              "errors": { "walletId": ["Has a value of the wrong type or format."] }
            }
            """, response);
    }
}
