using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ett.Gateway.OpenApi;

/// <summary>
/// Conventions for every gateway operation: the security requirement (unless the endpoint allows anonymous callers)
/// with the 401/403 that come with it; problem responses typed as application/problem+json even when declared with
/// <c>.Produces&lt;ProblemDetails&gt;(status)</c>; declared response descriptions; responses ordered by status.
/// </summary>
internal sealed class GatewayOperationTransformer(GatewaySecuritySchemes security) : IOpenApiOperationTransformer
{
    private const string ProblemJson = "application/problem+json";

    private static readonly Dictionary<string, string> SharedRouteValues = new(StringComparer.Ordinal)
    {
        ["organizationId"] = "ETT's id of the organization to act for (see GET /organizations); the caller must be allowed to act for it.",
    };

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (!metadata.OfType<IAllowAnonymous>().Any())
        {
            // Operation transformers run before document transformers: register the schemes the references point at.
            security.AddTo(context.Document!);
            operation.Security = security.Requirements(context.Document!);
            operation.Responses ??= [];
            operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No valid gateway access token." });
            operation.Responses.TryAdd("403", new OpenApiResponse { Description = "The token lacks the permission this operation needs." });
        }

        foreach (var response in context.Description.SupportedResponseTypes)
        {
            if (response.Type is null || !typeof(ProblemDetails).IsAssignableFrom(response.Type)) continue;
            if (operation.Responses?.GetValueOrDefault(response.StatusCode.ToString()) is not OpenApiResponse { Content: { } content }) continue;
            if (content.Remove("application/json", out var json)) content.TryAdd(ProblemJson, json);
        }

        // The generator ignores IProducesResponseTypeMetadata.Description for minimal APIs and writes the reason phrase.
        foreach (var declared in metadata.OfType<IProducesResponseTypeMetadata>())
        {
            if (declared.Description is { Length: > 0 } description
                && operation.Responses?.GetValueOrDefault(declared.StatusCode.ToString()) is OpenApiResponse response)
                response.Description = description;
        }

        // Route values every feature shares are described once, here.
        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            if (parameter.In == ParameterLocation.Path && string.IsNullOrEmpty(parameter.Description) &&
                SharedRouteValues.TryGetValue(parameter.Name ?? "", out var shared))
                parameter.Description = shared;
        }

        // Every operation accepts and echoes a correlation id (Observability/CorrelationMiddleware).
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = Observability.Correlation.HeaderName,
            In = ParameterLocation.Header,
            Description = Observability.Correlation.HeaderDescription,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = Observability.Correlation.MaxLength, Pattern = "^[A-Za-z0-9._-]+$" },
            Example = System.Text.Json.Nodes.JsonValue.Create("order-2026-4711"),
        });

        // Conventions add responses in registration order; readers expect them by status.
        if (operation.Responses is { } responses)
        {
            var sorted = responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
            responses.Clear();
            foreach (var (status, response) in sorted) responses.Add(status, response);
        }

        return Task.CompletedTask;
    }
}
