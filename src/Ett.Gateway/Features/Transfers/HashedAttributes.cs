using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ett.Gateway.Features.Transfers;

/// <summary>
/// Which hashed attributes a transfer shares with the receiver: <c>"none"</c> (the default), <c>"all"</c>, or a list of
/// names. ETT matches names exactly and case-sensitively and silently ignores any other spelling (its own guide's
/// <c>"AssetId"</c> shares nothing), so the gateway accepts names in any case and sends ETT's exact ones.
/// </summary>
[JsonConverter(typeof(HashedAttributesConverter))]
internal sealed class HashedAttributes
{
    /// <summary>ETT's hashed attributes of production certificates (ETT-API.md §10), the only kind transferred.</summary>
    public static readonly IReadOnlyList<string> Production =
    [
        "energyTag_ProductionDeviceUniqueIdentification",
        "energyTag_ProductionDeviceLocation",
        "energyTag_ProductionDeviceCapacity",
    ];

    public static readonly HashedAttributes None = new(HashedAttributeChoice.None, []);
    public static readonly HashedAttributes All = new(HashedAttributeChoice.All, []);

    private HashedAttributes(HashedAttributeChoice choice, IReadOnlyList<string> names)
    {
        Choice = choice;
        Names = names;
    }

    public HashedAttributeChoice Choice { get; }

    /// <summary>The names as the caller wrote them (a list choice only).</summary>
    public IReadOnlyList<string> Names { get; }

    public static HashedAttributes List(IReadOnlyList<string> names) => new(HashedAttributeChoice.List, names);

    /// <summary>Listed names ETT does not know for production certificates.</summary>
    public IEnumerable<string> UnknownNames => Names.Where(name => Exact(name) is null);

    /// <summary>ETT's exact names to send, in ETT's order.</summary>
    public IReadOnlyList<string> ForEtt() => Choice switch
    {
        HashedAttributeChoice.All => Production,
        HashedAttributeChoice.List => [.. Production.Where(exact => Names.Any(name => exact.Equals(name, StringComparison.OrdinalIgnoreCase)))],
        _ => [],
    };

    private static string? Exact(string name) => Production.FirstOrDefault(exact => exact.Equals(name, StringComparison.OrdinalIgnoreCase));
}

internal enum HashedAttributeChoice { None, All, List }

internal sealed class HashedAttributesConverter : JsonConverter<HashedAttributes>
{
    public override HashedAttributes Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString() switch
            {
                var s when "none".Equals(s, StringComparison.OrdinalIgnoreCase) => HashedAttributes.None,
                var s when "all".Equals(s, StringComparison.OrdinalIgnoreCase) => HashedAttributes.All,
                _ => throw new JsonException("hashedAttributes must be \"none\", \"all\" or a list of attribute names."),
            };
        }
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            var names = JsonSerializer.Deserialize<List<string>>(ref reader, options) ?? [];
            return HashedAttributes.List(names);
        }
        throw new JsonException("hashedAttributes must be \"none\", \"all\" or a list of attribute names.");
    }

    public override void Write(Utf8JsonWriter writer, HashedAttributes value, JsonSerializerOptions options)
    {
        switch (value.Choice)
        {
            case HashedAttributeChoice.None: writer.WriteStringValue("none"); break;
            case HashedAttributeChoice.All: writer.WriteStringValue("all"); break;
            default: JsonSerializer.Serialize(writer, value.Names, options); break;
        }
    }
}

/// <summary>Describes the converter's shape in OpenAPI: "none", "all" or a list of ETT's names.</summary>
internal static class HashedAttributesSchema
{
    public static Task Transform(Microsoft.OpenApi.OpenApiSchema schema, Microsoft.AspNetCore.OpenApi.OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Type != typeof(HashedAttributes)) return Task.CompletedTask;
        schema.OneOf =
        [
            new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, Enum = ["none", "all"] },
            new Microsoft.OpenApi.OpenApiSchema
            {
                Type = Microsoft.OpenApi.JsonSchemaType.Array,
                Items = new Microsoft.OpenApi.OpenApiSchema
                {
                    Type = Microsoft.OpenApi.JsonSchemaType.String,
                    Enum = [.. HashedAttributes.Production.Select(name => (System.Text.Json.Nodes.JsonNode)name)],
                },
            },
        ];
        return Task.CompletedTask;
    }
}
