using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ett.Gateway.OpenApi;

/// <summary>
/// Makes the generated schemas say what the wire carries: numbers are numbers (the generator adds "string" and a regex
/// because the web JSON options also read numbers from strings), enums have their type, every member that is never
/// null is marked required, and problems declare the members the gateway adds (traceId, upstreamStatus, errors,
/// availableWh).
/// </summary>
internal sealed class SchemaConventions : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var (name, schema) in document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>())
        {
            if (schema is not OpenApiSchema concrete) continue;
            if (name is "ProblemDetails" or "HttpValidationProblemDetails") AddProblemMembers(concrete);
            Walk(concrete);
        }

        foreach (var operation in document.Paths?.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []) ?? [])
            foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
                if (parameter.Schema is OpenApiSchema schema) Walk(schema);

        return Task.CompletedTask;
    }

    private static void Walk(OpenApiSchema schema)
    {
        NumbersAsNumbers(schema);
        if (schema.Enum is { Count: > 0 } && schema.Type is null) schema.Type = JsonSchemaType.String;

        foreach (var (member, property) in schema.Properties ?? new Dictionary<string, IOpenApiSchema>())
        {
            if (property is OpenApiSchema inline) Walk(inline);
            if (!MayBeNull(property))
            {
                schema.Required ??= new HashSet<string>();
                schema.Required.Add(member);
            }
        }
        foreach (var nested in new[] { schema.Items }.Concat(schema.OneOf ?? []).Concat(schema.AnyOf ?? []).Concat(schema.AllOf ?? []))
            if (nested is OpenApiSchema inline) Walk(inline);
        if (schema.AdditionalProperties is OpenApiSchema values) Walk(values);
    }

    private static void NumbersAsNumbers(OpenApiSchema schema)
    {
        if (schema.Type is not { } type || (type & (JsonSchemaType.Integer | JsonSchemaType.Number)) == 0) return;
        schema.Type = type & ~JsonSchemaType.String;
        schema.Pattern = null;
    }

    private static bool MayBeNull(IOpenApiSchema property) =>
        (property.Type is { } type && type.HasFlag(JsonSchemaType.Null))
        || (property.OneOf ?? []).Any(alternative => alternative.Type == JsonSchemaType.Null);

    /// <summary>What <c>ErrorsExtensions</c> and <c>EttErrors</c> add; type, title, status, traceId and correlationId are always there.</summary>
    private static void AddProblemMembers(OpenApiSchema problem)
    {
        problem.Properties ??= new Dictionary<string, IOpenApiSchema>();
        foreach (var member in new[] { "type", "title", "status" })
            if (problem.Properties.TryGetValue(member, out var property) && property is OpenApiSchema present && present.Type is { } type)
                present.Type = type & ~JsonSchemaType.Null;
        problem.Properties.TryAdd("traceId", new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description = "The request's trace id; quote it when asking about this error.",
        });
        problem.Properties.TryAdd("correlationId", new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description = "The request's X-Correlation-ID (the caller's or the gateway's), also on the response header.",
        });
        problem.Properties.TryAdd("upstreamStatus", new OpenApiSchema
        {
            Type = JsonSchemaType.Integer | JsonSchemaType.Null,
            Format = "int32",
            Description = "ETT's own HTTP status, when ETT answered.",
        });
        problem.Properties.TryAdd("errors", new OpenApiSchema
        {
            Type = JsonSchemaType.Object | JsonSchemaType.Null,
            Description = "validation: the messages per request field.",
            AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
        });
        problem.Properties.TryAdd("availableWh", new OpenApiSchema
        {
            Type = JsonSchemaType.Integer | JsonSchemaType.Null,
            Format = "int64",
            Description = "insufficient-quantity: how many Wh are available.",
        });
    }
}
