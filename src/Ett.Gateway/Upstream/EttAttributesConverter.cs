using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ett.Gateway.Upstream;

/// <summary>
/// Reads a certificate's attributes (an object of strings) into a dictionary sized for ETT's twenty-odd attributes, with
/// the names and the short values that every certificate repeats (<c>energyTag_GcIssuer</c>, <c>DK1</c>, <c>Yes</c>)
/// taken from a bounded pool instead of allocated again for each certificate of a page: they were most of what a
/// certificates page cost. Once the pool is full it only answers what it holds. Writes as the default converter does.
/// </summary>
internal sealed class EttAttributesConverter : JsonConverter<Dictionary<string, string>>
{
    private const int ExpectedCount = 24;
    private const int MaxNameLength = 64;
    private const int MaxValueLength = 16;
    private const int MaxPooled = 2048;

    private static readonly ConcurrentDictionary<string, string> Pool = new();
    private static int _pooled;
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> PoolBySpan = Pool.GetAlternateLookup<ReadOnlySpan<char>>();

    public override Dictionary<string, string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("Certificate attributes must be an object.");
        var attributes = new Dictionary<string, string>(ExpectedCount);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = Pooled(ref reader, MaxNameLength);
            reader.Read();
            attributes[name] = reader.TokenType switch
            {
                JsonTokenType.String => Pooled(ref reader, MaxValueLength),
                JsonTokenType.Null => null!,
                _ => throw new JsonException($"Certificate attribute {name} must be a string."),
            };
        }
        return attributes;
    }

    public override void Write(Utf8JsonWriter writer, Dictionary<string, string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (name, text) in value)
        {
            writer.WritePropertyName(options.DictionaryKeyPolicy?.ConvertName(name) ?? name);
            writer.WriteStringValue(text);
        }
        writer.WriteEndObject();
    }

    private static string Pooled(ref Utf8JsonReader reader, int maxLength)
    {
        var encoded = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        // Unescaping and decoding UTF-8 never make a string longer than its encoded bytes.
        if (encoded > maxLength) return reader.GetString()!;
        Span<char> buffer = stackalloc char[maxLength];
        var text = buffer[..reader.CopyString(buffer)];
        if (PoolBySpan.TryGetValue(text, out var pooled)) return pooled;
        var created = text.ToString();
        // A counter, not Pool.Count, which takes every lock of the dictionary.
        if (Volatile.Read(ref _pooled) < MaxPooled && Pool.TryAdd(created, created)) Interlocked.Increment(ref _pooled);
        return created;
    }
}
