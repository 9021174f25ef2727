using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ett.Gateway.OpenApi;

/// <summary>Per-endpoint response documentation that Microsoft.AspNetCore.OpenApi has no built-in call for.</summary>
public static class ResponseDocs
{
    /// <summary>
    /// Documents <paramref name="example"/> (serialized as callers receive it: camelCase, ISO 8601 times) as the example
    /// of the endpoint's <paramref name="status"/> response.
    /// </summary>
    public static TBuilder WithResponseExample<TBuilder>(this TBuilder builder, int status, object example)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.GetValueOrDefault(status.ToString(CultureInfo.InvariantCulture)) is OpenApiResponse { Content: { } content })
            {
                foreach (var media in content.Values) media.Example = JsonSerializer.SerializeToNode(example, JsonSerializerOptions.Web);
            }
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
