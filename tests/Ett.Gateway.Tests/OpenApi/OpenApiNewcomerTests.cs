using System.Text.Json.Nodes;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;

namespace Ett.Gateway.Tests.OpenApi;

/// <summary>What a newcomer needs from Swagger UI without the README, checked on the document the gateway serves.</summary>
public class OpenApiNewcomerTests(GatewayDocumentsFactory factory) : IClassFixture<GatewayDocumentsFactory>
{
    private async Task<JsonNode> GatewayDocumentAsync() =>
        JsonNode.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json"))!;

    private static IEnumerable<(string Name, JsonObject Operation)> Operations(JsonNode document) =>
        document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()
            .Select(o => ($"{o.Key.ToUpperInvariant()} {p.Key}", o.Value!.AsObject())));

    [Fact]
    public async Task Every_parameter_and_request_body_has_an_example()
    {
        var operations = Operations(await GatewayDocumentAsync()).ToList();
        var parameters = operations.SelectMany(o => (o.Operation["parameters"]?.AsArray() ?? []).Select(p => (o.Name, Parameter: p!))).ToList();
        var bodies = operations.Where(o => o.Operation["requestBody"] is not null).ToList();

        Assert.True(parameters.Count >= 40, $"{parameters.Count} parameters");
        Assert.True(bodies.Count >= 5, $"{bodies.Count} request bodies");
        Assert.All(parameters, p => Assert.True(p.Parameter["example"] is not null || p.Parameter["examples"] is JsonObject { Count: > 0 },
            $"{p.Name}: parameter {p.Parameter["name"]} has no example"));
        Assert.All(bodies, b => Assert.All(b.Operation["requestBody"]!["content"]!.AsObject(),
            media => Assert.True(media.Value!["example"] is JsonObject, $"{b.Name}: {media.Key} body has no example")));
    }

    [Fact]
    public async Task Every_error_response_has_an_example_problem_for_each_type_it_names()
    {
        var responses = Operations(await GatewayDocumentAsync())
            .SelectMany(o => o.Operation["responses"]!.AsObject().Where(r => r.Key[0] is '4' or '5').Select(r => (o.Name, Status: r.Key, Response: r.Value!)))
            .ToList();

        Assert.True(responses.Count >= 90, $"{responses.Count} error responses");
        Assert.All(responses, r =>
        {
            var examples = r.Response["content"]?["application/problem+json"]?["examples"]?.AsObject();
            Assert.True(examples is { Count: > 0 }, $"{r.Name} {r.Status}: no example problem");
            foreach (var (_, example) in examples!)
            {
                var problem = example!["value"]!;
                Assert.StartsWith("https://ett-gateway/problems/", problem["type"]!.GetValue<string>());
                Assert.Equal(int.Parse(r.Status), problem["status"]!.GetValue<int>());
                Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()), $"{r.Name} {r.Status}: example without detail");
            }
            foreach (var named in System.Text.RegularExpressions.Regex.Matches(r.Response["description"]!.GetValue<string>(), "https://ett-gateway/problems/[a-z-]+"))
                Assert.Contains(examples!, e => e.Value!["value"]!["type"]!.GetValue<string>() == named.ToString());
        });
    }

    [Fact]
    public async Task Every_202_declares_its_location_and_idempotency_keys_are_required()
    {
        var operations = Operations(await GatewayDocumentAsync()).ToList();
        var accepted = operations.Where(o => o.Operation["responses"]!["202"] is not null).ToList();

        Assert.Equal(2, accepted.Count);
        Assert.All(accepted, o => Assert.Equal("uri-reference",
            o.Operation["responses"]!["202"]!["headers"]?["Location"]?["schema"]?["format"]?.GetValue<string>()));
        var keys = operations.SelectMany(o => o.Operation["parameters"]?.AsArray() ?? []).Where(p => p!["name"]!.GetValue<string>() == "Idempotency-Key").ToList();
        Assert.Equal(2, keys.Count);
        Assert.All(keys, key => Assert.True(key!["required"]?.GetValue<bool>()));
    }

    [Fact]
    public async Task Every_member_that_is_never_null_is_required_and_every_schema_has_a_type()
    {
        var document = await GatewayDocumentAsync();
        var schemas = document["components"]!["schemas"]!.AsObject();

        Assert.All(schemas, schema =>
        {
            Assert.True(HasType(schema.Value!), $"{schema.Key} has no type");
            var required = schema.Value!["required"]?.AsArray().Select(r => r!.GetValue<string>()).ToHashSet() ?? [];
            foreach (var (member, property) in schema.Value!["properties"]?.AsObject() ?? [])
            {
                Assert.True(HasType(property!), $"{schema.Key}.{member} has no type");
                Assert.False(property!["pattern"] is not null && IsNumber(property), $"{schema.Key}.{member} is a number with a pattern");
                Assert.False(IsNumber(property) && Types(property).Contains("string"), $"{schema.Key}.{member} is a number or a string");
                if (!MayBeNull(property)) Assert.True(required.Contains(member), $"{schema.Key}.{member} is never null but not required");
            }
        });
        Assert.All(Operations(document).SelectMany(o => o.Operation["parameters"]?.AsArray() ?? []),
            p => Assert.False(Types(p!["schema"]!).Contains("string") && IsNumber(p["schema"]!), $"parameter {p!["name"]} is a number or a string"));

        var transfer = schemas["TransferRequest"]!;
        Assert.Contains("quantityWh", transfer["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal("integer", transfer["properties"]!["quantityWh"]!["type"]!.GetValue<string>());
        Assert.Equal("string", schemas["MeteringPointType"]!["type"]!.GetValue<string>());
        Assert.Equal("string", schemas["RelationStatus"]!["type"]!.GetValue<string>());
        Assert.Equal(["type", "title", "status", "detail", "instance", "traceId", "correlationId", "upstreamStatus", "errors", "availableWh"],
            schemas["ProblemDetails"]!["properties"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task Tags_are_described_and_the_title_is_for_humans()
    {
        var document = await GatewayDocumentAsync();
        var used = Operations(document).SelectMany(o => o.Operation["tags"]!.AsArray().Select(t => t!.GetValue<string>())).ToHashSet();

        Assert.Equal("ETT Gateway", document["info"]!["title"]!.GetValue<string>());
        var tags = document["tags"]!.AsArray();
        Assert.Equal(used.Order(), tags.Select(t => t!["name"]!.GetValue<string>()).Order());
        Assert.All(tags, t => Assert.False(string.IsNullOrWhiteSpace(t!["description"]?.GetValue<string>()), t!["name"]!.ToString()));
    }

    [Fact]
    public async Task Passthrough_description_speaks_to_a_caller_of_the_gateway()
    {
        var json = await factory.CreateClient().GetStringAsync("/openapi/ett.json");
        var document = JsonNode.Parse(json)!;
        var description = document["info"]!["description"]!.GetValue<string>();

        Assert.Contains("Authenticate to the gateway", description);
        Assert.DoesNotContain("need 'Authorization", json);
        Assert.DoesNotContain(".md", json);
        var texts = Texts(document).ToList();
        Assert.All(texts, text => Assert.DoesNotContain('<', text));
        Assert.Contains(texts, text => text.Contains("&lt;gsrn&gt;", StringComparison.Ordinal));
        Assert.Equal(SandboxSeed.ProducerOrganizationId.ToString(), document["components"]!["parameters"]!["OrganizationId"]!["example"]!.GetValue<string>());
    }

    [Fact]
    public async Task With_the_sandbox_swagger_ui_prefills_the_development_client_and_keeps_its_authorization()
    {
        await using var gateway = await SandboxGateway.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Sandbox:Enabled"] = "true",
            ["Sandbox:AllowOutsideDevelopment"] = "true", // the tests' environment is Testing
            ["OpenApi:TokenUrl"] = "/sandbox/idp/connect/token",
            ["OpenApi:Scopes:0"] = "ett.read",
            ["OpenApi:Scopes:1"] = "ett.write",
        });
        var client = gateway.Gateway.CreateClient();

        var config = await client.GetStringAsync("/swagger/index.js");
        Assert.Contains("\"persistAuthorization\":true", config);
        Assert.Contains("\"displayRequestDuration\":true", config);
        Assert.Contains("\"deepLinking\":true", config);
        Assert.Contains("\"filter\":\"\"", config);
        Assert.Contains($"\"clientId\":\"{SandboxSeed.CallerClientId}\"", config);

        var oauth = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!["components"]!["securitySchemes"]!["OAuth2"]!;
        Assert.Contains($"`{SandboxSeed.CallerClientId}`", oauth["description"]!.GetValue<string>());
        Assert.Contains($"`{SandboxSeed.CallerClientSecret}`", oauth["description"]!.GetValue<string>());
        Assert.Equal(["ett.read", "ett.write"], oauth["flows"]!["clientCredentials"]!["scopes"]!.AsObject().Select(s => s.Key));
    }

    private static IEnumerable<string> Texts(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => p.Key is "description" or "summary" && p.Value is JsonValue v ? [v.GetValue<string>()] : Texts(p.Value)),
        JsonArray array => array.SelectMany(Texts),
        _ => [],
    };

    private static string[] Types(JsonNode schema) => schema["type"] switch
    {
        JsonArray many => [.. many.Select(t => t!.GetValue<string>())],
        JsonValue one => [one.GetValue<string>()],
        _ => [],
    };

    private static bool IsNumber(JsonNode schema) => Types(schema).Any(t => t is "integer" or "number");

    private static bool HasType(JsonNode schema) =>
        schema["type"] is not null || schema["$ref"] is not null || schema["oneOf"] is not null || schema["anyOf"] is not null || schema["allOf"] is not null;

    private static bool MayBeNull(JsonNode property) =>
        Types(property).Contains("null") || (property["oneOf"]?.AsArray().Any(a => a!["type"]?.ToString() == "null") ?? false);
}
