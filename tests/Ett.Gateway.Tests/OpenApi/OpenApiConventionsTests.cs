using System.Text.Json.Nodes;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Tests.Errors;
using Ett.Gateway.Validation;
using FluentValidation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Gateway.Tests.OpenApi;

public class OpenApiConventionsTests
{
    public sealed record Thing(Guid Id, long QuantityWh);

    public sealed record NewThing(string? Gsrn);

    private sealed class NewThingValidator : AbstractValidator<NewThing>
    {
        public NewThingValidator() => RuleFor(t => t.Gsrn).Gsrn();
    }

    private static async Task<JsonNode> DocumentAsync()
    {
        await using var host = await ProblemTestHost.StartAsync(app =>
        {
            var things = app.MapGroup("/things").WithTags("Things").WithRequestValidation();
            things.MapGet("/{id}", (Guid id) => TypedResults.Ok(new Thing(id, 1)))
                .WithSummary("Get a thing").WithDescription("One thing.")
                .Produces<Thing>().Produces<ProblemDetails>(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status502BadGateway);
            things.MapPost("/", (NewThing thing) => TypedResults.Created("/things/1", new Thing(Guid.Empty, 1)))
                .WithSummary("Create a thing");
            app.MapGroup("/wallets").ProducesUpstreamProblems()
                .MapGet("/{id}", (Guid id) => TypedResults.Ok(new Thing(id, 1))).WithSummary("Get a wallet");
            app.MapGet("/open", () => "hi").WithSummary("Anonymous").AllowAnonymous();
            app.MapGatewayOpenApi();
        }, services =>
        {
            services.AddGatewayOpenApi();
            services.AddSingleton<IValidator<NewThing>, NewThingValidator>();
        });
        return JsonNode.Parse(await host.Client.GetStringAsync("/openapi/v1.json"))!;
    }

    [Fact]
    public async Task Problem_responses_are_documented_as_problem_json()
    {
        var responses = (await DocumentAsync())["paths"]!["/things/{id}"]!["get"]!["responses"]!;

        Assert.Equal(["application/problem+json"], responses["404"]!["content"]!.AsObject().Select(c => c.Key));
        Assert.Equal(["application/problem+json"], responses["502"]!["content"]!.AsObject().Select(c => c.Key));
        Assert.Equal(["application/json"], responses["200"]!["content"]!.AsObject().Select(c => c.Key));
    }

    [Fact]
    public async Task Secured_operations_require_the_gateway_token_and_document_401_and_403()
    {
        var operation = (await DocumentAsync())["paths"]!["/things/{id}"]!["get"]!;

        Assert.Equal("""[{"Bearer":[]}]""", operation["security"]!.ToJsonString());
        Assert.NotNull(operation["responses"]!["401"]);
        Assert.NotNull(operation["responses"]!["403"]);
    }

    [Fact]
    public async Task Anonymous_operations_have_no_security_requirement()
    {
        var operation = (await DocumentAsync())["paths"]!["/open"]!["get"]!;

        Assert.Null(operation["security"]);
        Assert.Null(operation["responses"]!["401"]);
    }

    [Fact]
    public async Task Validated_operations_document_their_validation_problem()
    {
        var document = await DocumentAsync();
        var badRequest = document["paths"]!["/things"]!["post"]!["responses"]!["400"]!["content"]!.AsObject();

        Assert.Equal("application/problem+json", badRequest.Single().Key);
        Assert.Equal("#/components/schemas/HttpValidationProblemDetails", badRequest.Single().Value!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Null(document["paths"]!["/things/{id}"]!["get"]!["responses"]!["400"]);
    }

    [Fact]
    public async Task Upstream_problems_convention_documents_ett_failures()
    {
        var responses = (await DocumentAsync())["paths"]!["/wallets/{id}"]!["get"]!["responses"]!.AsObject();

        Assert.Equal(["200", "401", "403", "502", "503", "504"], responses.Select(r => r.Key));
        foreach (var status in new[] { "403", "502", "503", "504" })
        {
            Assert.Equal("#/components/schemas/ProblemDetails", responses[status]!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>());
            Assert.Contains("https://ett-gateway/problems/", responses[status]!["description"]!.GetValue<string>());
        }
        Assert.Contains("not-consented", responses["403"]!["description"]!.GetValue<string>());
    }
}
