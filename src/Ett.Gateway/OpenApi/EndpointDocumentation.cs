using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;

namespace Ett.Gateway.OpenApi;

/// <summary>Per-endpoint OpenAPI declarations the framework has no one-liner for: a response example, a described problem.</summary>
internal static class EndpointDocumentation
{
    /// <summary>
    /// Describes the <paramref name="status"/> response and shows <paramref name="example"/>, serialized as the endpoint
    /// writes it (camelCase, ISO times), as its example.
    /// </summary>
    public static RouteHandlerBuilder WithResponseExample<T>(this RouteHandlerBuilder builder, int status, string description, T example)
    {
        var json = JsonSerializer.SerializeToNode(example, JsonSerializerOptions.Web);
        return builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.GetValueOrDefault(status.ToString()) is not { } response) return Task.CompletedTask;
            response.Description = description;
            foreach (var media in response.Content?.Values ?? []) media.Example = json?.DeepClone();
            return Task.CompletedTask;
        });
    }

    /// <summary>Declares a problem response with a description that names its stable <c>type</c>.</summary>
    public static RouteHandlerBuilder DocumentsProblem(this RouteHandlerBuilder builder, int status, string description) =>
        builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ["application/problem+json"])
        {
            Description = description,
        });
}
