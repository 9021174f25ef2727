using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Ett.Gateway.Tests.Sandbox;

/// <summary>
/// ETT's upstream contract (contracts/ett-upstream.openapi.json) and a small JSON-schema check of response bodies against it:
/// type, nullable, required, properties (unknown ones are reported), additionalProperties, items, allOf, oneOf (as any-of,
/// since ProblemDetails and ValidationProblemDetails overlap), enum, format uuid/int32, minimum/maximum and pattern.
/// </summary>
internal static class EttContract
{
    private static readonly Lazy<OpenApiDocument> Document = new(() =>
    {
        using var stream = new MemoryStream(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "contracts", "ett-upstream.openapi.json")));
        var (document, diagnostic) = OpenApiDocument.Load(stream, "json", new OpenApiReaderSettings());
        Assert.True(diagnostic?.Errors.Count is null or 0, string.Join("; ", diagnostic?.Errors ?? []));
        return document!;
    });

    /// <summary>Asserts that a response's status is documented for the operation and its body matches that response's schema.</summary>
    public static async Task AssertMatchesAsync(HttpResponseMessage response, HttpMethod method, string pathTemplate)
    {
        var text = await response.Content.ReadAsStringAsync();
        var mismatches = Validate(method, pathTemplate, response.StatusCode, text);
        Assert.True(mismatches.Count == 0,
            $"{method} {pathTemplate} → {(int)response.StatusCode} does not match the contract:\n{string.Join("\n", mismatches)}\nBody: {text}");
    }

    public static IReadOnlyList<string> Validate(HttpMethod method, string pathTemplate, HttpStatusCode status, string body)
    {
        var operation = Document.Value.Paths[pathTemplate].Operations![method];
        var code = ((int)status).ToString(CultureInfo.InvariantCulture);
        if (operation.Responses?.TryGetValue(code, out var documented) != true)
        {
            return [$"status {code} is not documented"];
        }

        var schema = documented!.Content?.TryGetValue("application/json", out var media) == true ? media.Schema : null;
        if (schema is null)
        {
            return body.Length == 0 ? [] : ["the contract documents no body, but one was sent"];
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body);
        }
        catch (JsonException exception)
        {
            return [$"$: not JSON ({exception.Message})"];
        }

        return ValidateSchema(node, schema);
    }

    public static IReadOnlyList<string> ValidateSchema(JsonNode? node, IOpenApiSchema schema)
    {
        var errors = new List<string>();
        Check(node, schema, "$", errors, reportUnknown: true);
        return errors;
    }

    public static IOpenApiSchema Schema(string name) => Document.Value.Components!.Schemas![name];

    private static void Check(JsonNode? node, IOpenApiSchema schema, string path, List<string> errors, bool reportUnknown)
    {
        if (node is null)
        {
            if (schema.Type is { } nullType && !nullType.HasFlag(JsonSchemaType.Null))
            {
                errors.Add($"{path}: null where {nullType} is required");
            }

            return;
        }

        foreach (var part in schema.AllOf ?? [])
        {
            Check(node, part, path, errors, reportUnknown: false);
        }

        if (schema.OneOf is { Count: > 0 } alternatives)
        {
            var results = alternatives.Select(a => ValidateSchema(node, a)).ToList();
            if (results.All(r => r.Count > 0))
            {
                errors.Add($"{path}: matches none of oneOf ({string.Join(" | ", results.Select(r => string.Join(", ", r)))})");
            }

            return;
        }

        if (schema.Type is { } type && !HasType(node, type))
        {
            errors.Add($"{path}: {node.GetValueKind()} where {type & ~JsonSchemaType.Null} is required");
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                CheckObject(obj, schema, path, errors, reportUnknown);
                break;
            case JsonArray array when schema.Items is { } items:
                for (var i = 0; i < array.Count; i++)
                {
                    Check(array[i], items, $"{path}[{i}]", errors, reportUnknown: true);
                }

                break;
            case JsonValue value:
                CheckValue(value, schema, path, errors);
                break;
        }
    }

    private static void CheckObject(JsonObject obj, IOpenApiSchema schema, string path, List<string> errors, bool reportUnknown)
    {
        foreach (var required in schema.Required ?? new HashSet<string>())
        {
            if (!obj.ContainsKey(required))
            {
                errors.Add($"{path}.{required}: required but missing");
            }
        }

        var known = KnownProperties(schema);
        foreach (var (name, value) in obj)
        {
            if (schema.Properties?.TryGetValue(name, out var property) == true)
            {
                Check(value, property, $"{path}.{name}", errors, reportUnknown: true);
            }
            else if (schema.AdditionalProperties is { } additional)
            {
                Check(value, additional, $"{path}.{name}", errors, reportUnknown: true);
            }
            else if (reportUnknown && !known.Contains(name))
            {
                errors.Add($"{path}.{name}: not in the contract");
            }
        }
    }

    private static HashSet<string> KnownProperties(IOpenApiSchema schema)
    {
        var known = new HashSet<string>(schema.Properties?.Keys ?? [], StringComparer.Ordinal);
        foreach (var part in schema.AllOf ?? [])
        {
            known.UnionWith(KnownProperties(part));
        }

        return known;
    }

    private static void CheckValue(JsonValue value, IOpenApiSchema schema, string path, List<string> errors)
    {
        if (schema.Enum is { Count: > 0 } allowed && value.GetValueKind() == JsonValueKind.String)
        {
            // Casing is unconfirmed where the contract itself says so (wallet enums: camelCase on the wire, PascalCase in ETT's portal).
            var comparison = schema.Description?.Contains("case-insensitive", StringComparison.OrdinalIgnoreCase) == true
                || schema.Description?.Contains("Wire format", StringComparison.Ordinal) == true
                ? StringComparison.OrdinalIgnoreCase
                : StringComparison.Ordinal;
            var text = value.GetValue<string>();
            if (!allowed.Any(a => string.Equals(a?.GetValue<string>(), text, comparison)))
            {
                errors.Add($"{path}: '{text}' is not one of {string.Join(", ", allowed)}");
            }
        }

        if (value.GetValueKind() == JsonValueKind.String)
        {
            var text = value.GetValue<string>();
            if (schema.Format == "uuid" && !Guid.TryParse(text, out _))
            {
                errors.Add($"{path}: '{text}' is not a uuid");
            }

            if (schema.Format == "byte" && !IsBase64(text))
            {
                errors.Add($"{path}: '{text}' is not base64");
            }

            if (schema.Pattern is { } pattern && !Regex.IsMatch(text, pattern))
            {
                errors.Add($"{path}: '{text}' does not match {pattern}");
            }
        }

        if (value.GetValueKind() == JsonValueKind.Number)
        {
            var number = value.GetValue<decimal>();
            if (schema.Format == "int32" && number is < int.MinValue or > int.MaxValue)
            {
                errors.Add($"{path}: {number} is outside int32");
            }

            if (schema.Minimum is { } minimum && number < decimal.Parse(minimum, CultureInfo.InvariantCulture))
            {
                errors.Add($"{path}: {number} is below {minimum}");
            }

            if (schema.Maximum is { } maximum && number > decimal.Parse(maximum, CultureInfo.InvariantCulture))
            {
                errors.Add($"{path}: {number} is above {maximum}");
            }
        }
    }

    private static bool HasType(JsonNode node, JsonSchemaType type) => node.GetValueKind() switch
    {
        JsonValueKind.Object => type.HasFlag(JsonSchemaType.Object),
        JsonValueKind.Array => type.HasFlag(JsonSchemaType.Array),
        JsonValueKind.String => type.HasFlag(JsonSchemaType.String),
        JsonValueKind.True or JsonValueKind.False => type.HasFlag(JsonSchemaType.Boolean),
        JsonValueKind.Number => type.HasFlag(JsonSchemaType.Number)
            || (type.HasFlag(JsonSchemaType.Integer) && decimal.IsInteger(node.GetValue<decimal>())),
        _ => false,
    };

    private static bool IsBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out _);
    }
}
