using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ett.Gateway.OpenApi;

/// <summary>Per-endpoint documentation that Microsoft.AspNetCore.OpenApi has no built-in call for.</summary>
public static class EndpointDocs
{
    /// <summary>
    /// Documents <paramref name="example"/> (serialized as callers receive it: camelCase, ISO 8601 times) as the example
    /// of the endpoint's <paramref name="status"/> response.
    /// </summary>
    public static TBuilder WithResponseExample<TBuilder>(this TBuilder builder, int status, object example)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithResponseExample(status, description: null, example);

    /// <summary>As <see cref="WithResponseExample{TBuilder}(TBuilder, int, object)"/>, also describing the response.</summary>
    public static TBuilder WithResponseExample<TBuilder>(this TBuilder builder, int status, string? description, object example)
        where TBuilder : IEndpointConventionBuilder
    {
        var json = JsonSerializer.SerializeToNode(example, JsonSerializerOptions.Web);
        return builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.GetValueOrDefault(status.ToString(CultureInfo.InvariantCulture)) is not OpenApiResponse response) return Task.CompletedTask;
            if (description is not null) response.Description = description;
            foreach (var media in response.Content?.Values ?? []) media.Example = json?.DeepClone();
            return Task.CompletedTask;
        });
    }

    /// <summary>Lists the values a string query parameter accepts, so clients and Swagger UI offer exactly those.</summary>
    public static TBuilder WithQueryValues<TBuilder>(this TBuilder builder, string parameter, params string[] values)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Parameters?.FirstOrDefault(p => p.Name == parameter && p.In == ParameterLocation.Query)?.Schema is OpenApiSchema schema)
                schema.Enum = [.. values.Select(v => (System.Text.Json.Nodes.JsonNode)v)];
            return Task.CompletedTask;
        });

    /// <summary>A ProblemDetails response with a description that names when it happens and its <c>type</c>.</summary>
    public static TBuilder WithProblemResponse<TBuilder>(this TBuilder builder, int status, string description)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ["application/problem+json"])
        {
            Description = description,
        });
}
