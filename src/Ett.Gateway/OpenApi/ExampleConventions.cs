using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ett.Gateway.Errors;
using Ett.Sandbox;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ett.Gateway.OpenApi;

/// <summary>
/// Examples a newcomer can send unchanged from Swagger UI's "Try it out" against the sandbox: every parameter and
/// request body gets one (the README's bodies, the seeded ids); every error response one example problem per problem
/// <c>type</c> its description names; <c>Idempotency-Key</c> is marked required and 202 declares its <c>Location</c>.
/// A parameter or body added without an entry here is left without an example, which <c>OpenApiNewcomerTests</c> refuses.
/// </summary>
internal sealed partial class ExampleConventions : IOpenApiDocumentTransformer
{
    private const string ProblemJson = "application/problem+json";
    private const string IdempotencyKey = "Idempotency-Key";

    // Filters are wide on purpose: Swagger UI pre-fills them, and the sandbox seeds certificates around "now".
    private static readonly Dictionary<string, JsonNode> Parameters = new(StringComparer.Ordinal)
    {
        ["organizationId"] = SandboxSeed.ProducerOrganizationId.ToString(),
        ["contractId"] = "0b7e2c1a-6d5f-4e3b-9a8c-1f2e3d4c5b6a",
        ["partnerId"] = "2b7c4d10-5e8f-4a6b-9c1d-3e5f7a9b1c2d",
        ["operationId"] = "019ab5f2-3c10-7d4e-9a51-2f0c8e6b1d20",
        ["type"] = "production",
        ["gridArea"] = "DK1",
        ["from"] = "2020-01-01T00:00:00Z",
        ["to"] = "2030-01-01T00:00:00Z",
        ["limit"] = 100,
        ["status"] = "completed",
        ["redirectUrl"] = "https://app.example.com/onboarding/done",
        ["language"] = "en",
        ["client"] = "default",
        [IdempotencyKey] = "demo-1",
        ["callerId"] = "sandbox-app",
        ["action"] = "TransferToPartner",
    };

    // A cursor is only valid for the query that produced it, so the pre-filled value is the first page's: none.
    private static readonly Dictionary<string, OpenApiExample> CursorExamples = new(StringComparer.Ordinal)
    {
        ["firstPage"] = new() { Summary = "First page: leave empty", Value = "" },
        ["nextPage"] = new() { Summary = "A later page: the previous page's nextCursor", Value = "eyJvIjoxMDB9" },
    };

    private static readonly Dictionary<string, JsonNode> RequestBodies = new(StringComparer.Ordinal)
    {
        ["TransferRequest"] = Json(new { partnerOrganizationId = SandboxSeed.ConsumerOrganizationId, quantityWh = 500_000 }),
        ["ClaimRequest"] = Json(new { from = "2020-01-01T00:00:00Z", to = "2030-01-01T00:00:00Z", gridArea = "DK1" }),
        ["PartnerRegistration"] = Json(new { name = "Sandbox Forbrug A/S", partnerOrganizationId = SandboxSeed.ConsumerOrganizationId }),
        ["NewContract"] = Json(new { gsrn = SandboxSeed.ProducerUncontractedSolarGsrn, start = "2030-01-01T00:00:00Z" }),
        ["ContractChange"] = Json(new { end = "2031-01-01T00:00:00Z" }),
    };

    private static readonly Dictionary<string, (string Title, string Detail, object? Extra)> Problems = new(StringComparer.Ordinal)
    {
        [ProblemTypes.Validation] = ("The request is invalid", "One or more fields are invalid.",
            new { errors = new Dictionary<string, string[]> { ["quantityWh"] = ["Must be a positive number of Wh."] } }),
        [ProblemTypes.Unauthorized] = ("Unauthorized", "No valid gateway access token: send 'Authorization: Bearer <token>' from the company's identity provider.", null),
        [ProblemTypes.Forbidden] = ("Forbidden", "The caller may not do this: it needs the Ett.Write role (or ett.write scope), and must be allowed to act for the organization.", null),
        [ProblemTypes.NotConsented] = ("ETT denied access to the organization", "The organization has not consented to the gateway's ETT client.", new { upstreamStatus = 403 }),
        [ProblemTypes.NotFound] = ("Not found", "No such resource for this organization.", null),
        [ProblemTypes.Conflict] = ("ETT reported a conflict", "ETT refused because of existing state.", new { upstreamStatus = 409 }),
        [ProblemTypes.ContractNotAllowed] = ("ETT does not allow this contract", "ETT creates and changes contracts only for trial clients.", new { upstreamStatus = 403 }),
        [ProblemTypes.ContractOverlap] = ("The contract overlaps another", "The metering point already has a contract in this period.", new { upstreamStatus = 409 }),
        [ProblemTypes.MeteringPointCannotIssue] = ("The metering point cannot issue certificates", "ETT refuses contracts for this metering point.", new { upstreamStatus = 409 }),
        [ProblemTypes.UpstreamRejected] = ("ETT rejected the request", "ETT's message about the request.", new { upstreamStatus = 400 }),
        [ProblemTypes.UpstreamVersionUnsupported] = ("ETT no longer accepts the gateway's API version", "Update Ett:ApiVersions.", new { upstreamStatus = 400 }),
        [ProblemTypes.UpstreamUnavailable] = ("ETT is unavailable", "ETT could not be reached.", null),
        [ProblemTypes.UpstreamTokenUnavailable] = ("The gateway could not obtain an ETT token", "ETT's token endpoint did not answer.", null),
        [ProblemTypes.Internal] = ("Unexpected gateway error", "The gateway failed; quote the traceId.", null),
        [ProblemTypes.IdempotencyKeyRequired] = ("Idempotency-Key required", "Send an Idempotency-Key header of 1 to 255 visible ASCII characters.", null),
        [ProblemTypes.IdempotencyKeyInFlight] = ("Idempotency-Key in use", "The first request with this key is still running; retry after Retry-After.", null),
        [ProblemTypes.IdempotencyKeyReused] = ("Idempotency-Key reused", "This key was already used with a different request.", null),
        [ProblemTypes.InsufficientQuantity] = ("Not enough available quantity", "500000 Wh requested, 320000 Wh available.", new { availableWh = 320_000 }),
    };

    private static readonly Dictionary<int, string> ProblemOfStatus = new()
    {
        [400] = ProblemTypes.Validation,
        [401] = ProblemTypes.Unauthorized,
        [403] = ProblemTypes.Forbidden,
        [404] = ProblemTypes.NotFound,
        [409] = ProblemTypes.Conflict,
        [500] = ProblemTypes.Internal,
        [502] = ProblemTypes.UpstreamUnavailable,
        [503] = ProblemTypes.UpstreamUnavailable,
        [504] = ProblemTypes.UpstreamUnavailable,
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var (path, item) in document.Paths ?? [])
        {
            foreach (var (method, operation) in item.Operations ?? [])
            {
                foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? []) DescribeParameter(parameter);
                if (operation.RequestBody is OpenApiRequestBody body) DescribeBody(body);
                foreach (var (status, response) in operation.Responses ?? [])
                {
                    if (response is not OpenApiResponse concrete) continue;
                    var code = int.Parse(status, CultureInfo.InvariantCulture);
                    if (code >= 400) DescribeProblem(document, concrete, code, operation.Security is { Count: > 0 });
                    if (code == StatusCodes.Status202Accepted) DeclareLocation(concrete);
                }
            }
        }
        return Task.CompletedTask;
    }

    private static void DescribeParameter(OpenApiParameter parameter)
    {
        if (parameter.Name == IdempotencyKey) parameter.Required = true;
        if (parameter.Name == "cursor")
        {
            parameter.Examples = CursorExamples.ToDictionary(e => e.Key, e => (IOpenApiExample)e.Value);
            return;
        }
        if (Parameters.GetValueOrDefault(parameter.Name ?? "") is { } example) parameter.Example = example.DeepClone();
    }

    private static void DescribeBody(OpenApiRequestBody body)
    {
        foreach (var media in body.Content?.Values ?? [])
        {
            var schema = (media.Schema as OpenApiSchemaReference)?.Reference.Id ?? "";
            if (RequestBodies.GetValueOrDefault(schema) is { } example) media.Example = example.DeepClone();
        }
    }

    private static void DescribeProblem(OpenApiDocument document, OpenApiResponse response, int status, bool secured)
    {
        var types = ProblemTypeMention().Matches(response.Description ?? "").Select(m => m.Value).Distinct().ToList();
        if (status == StatusCodes.Status403Forbidden && secured && !types.Contains(ProblemTypes.Forbidden)) types.Add(ProblemTypes.Forbidden);
        if (types.Count == 0 && ProblemOfStatus.TryGetValue(status, out var fallback)) types.Add(fallback);

        response.Content ??= new Dictionary<string, OpenApiMediaType>();
        if (!response.Content.TryGetValue(ProblemJson, out var media))
            response.Content[ProblemJson] = media = new OpenApiMediaType { Schema = new OpenApiSchemaReference("ProblemDetails", document) };
        media.Examples = types.Where(Problems.ContainsKey).ToDictionary(
            type => type[(type.LastIndexOf('/') + 1)..],
            type => (IOpenApiExample)new OpenApiExample { Summary = Problems[type].Title, Value = Problem(type, status) });
    }

    private static JsonNode Problem(string type, int status)
    {
        var (title, detail, extra) = Problems[type];
        var problem = new JsonObject
        {
            ["type"] = type,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["traceId"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ["correlationId"] = "0193f2a4c10b7d4e9a512f0c8e6b1d20",
        };
        foreach (var (member, value) in extra is null ? [] : Json(extra).AsObject()) problem[member] = value?.DeepClone();
        return problem;
    }

    private static void DeclareLocation(OpenApiResponse response)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers["Location"] = new OpenApiHeader
        {
            Description = "The operation to follow: GET it until its status is completed, failed or partiallyCompleted.",
            Required = true,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" },
            Example = "/operations/019ab5f2-3c10-7d4e-9a51-2f0c8e6b1d20",
        };
    }

    private static JsonNode Json(object value) => JsonSerializer.SerializeToNode(value, JsonSerializerOptions.Web)!;

    [GeneratedRegex(@"https://ett-gateway/problems/[a-z-]+")]
    private static partial Regex ProblemTypeMention();
}
