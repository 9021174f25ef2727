using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ett.Gateway.Upstream;

/// <summary>
/// Reads a certificate's attributes (an object of strings) into <see cref="EttAttributes"/>, with the names and the
/// short values that every certificate repeats (<c>energyTag_GcIssuer</c>, <c>DK1</c>, <c>Yes</c>) taken from
/// <see cref="EttStringPool"/> instead of allocated again for each certificate of a page: they were most of what a
/// certificates page cost. Writes as a dictionary is written.
/// </summary>
internal sealed class EttAttributesConverter : JsonConverter<EttAttributes>
{
    private const int ExpectedCount = 32;
    private const int MaxNameLength = 64;
    // Long enough for the values one metering point repeats on all its certificates (GSRN, address, capacity).
    private const int MaxValueLength = 64;

    // The attributes of the certificate being read, copied out at its end: one array of the right size per certificate.
    // Reading is synchronous, so one buffer per thread serves every read.
    [ThreadStatic] private static KeyValuePair<string, string>[]? _read;

    public override EttAttributes? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReadObject(ref reader);

    /// <summary>The attributes the reader is at: an object of strings, or null.</summary>
    internal static EttAttributes? ReadObject(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("Certificate attributes must be an object.");
        var read = _read ??= new KeyValuePair<string, string>[ExpectedCount];
        var count = 0;
        try
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = EttStringPool.Read(ref reader, MaxNameLength);
                reader.Read();
                var value = reader.TokenType switch
                {
                    JsonTokenType.String => EttStringPool.Read(ref reader, MaxValueLength),
                    JsonTokenType.Null => null!,
                    _ => throw new JsonException($"Certificate attribute {name} must be a string."),
                };
                // A name sent twice keeps its first place and its last value, as a dictionary read keeps it.
                var at = EttAttributes.IndexOf(read.AsSpan(0, count), name);
                if (at >= 0)
                {
                    read[at] = new(read[at].Key, value);
                    continue;
                }
                if (count == read.Length) Array.Resize(ref read, read.Length * 2);
                read[count++] = new(name, value);
            }
            return count == 0 ? EttAttributes.Empty : new EttAttributes(read.AsSpan(0, count).ToArray());
        }
        finally
        {
            // The strings stay with the certificate, not with the thread.
            read.AsSpan(0, count).Clear();
            _read = read;
        }
    }

    public override void Write(Utf8JsonWriter writer, EttAttributes value, JsonSerializerOptions options) =>
        WriteObject(writer, value, options.DictionaryKeyPolicy);

    /// <summary>Writes them as a dictionary is written: names through the options' key policy, a null value as null.</summary>
    internal static void WriteObject(Utf8JsonWriter writer, EttAttributes value, JsonNamingPolicy? keyPolicy)
    {
        writer.WriteStartObject();
        foreach (var (name, text) in value.AsSpan())
        {
            writer.WritePropertyName(keyPolicy?.ConvertName(name) ?? name);
            writer.WriteStringValue(text);
        }
        writer.WriteEndObject();
    }
}
