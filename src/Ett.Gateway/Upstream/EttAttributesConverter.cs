using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ett.Gateway.Upstream;

/// <summary>
/// Reads a certificate's attributes (an object of strings) into <see cref="EttAttributes"/>, with the names and the
/// short values that every certificate repeats (<c>energyTag_GcIssuer</c>, <c>DK1</c>, <c>Yes</c>) taken from a bounded
/// pool instead of allocated again for each certificate of a page: they were most of what a certificates page cost.
/// Once the pool is full it only answers what it holds. Writes as a dictionary is written.
/// </summary>
internal sealed class EttAttributesConverter : JsonConverter<EttAttributes>
{
    private const int ExpectedCount = 32;
    private const int MaxNameLength = 64;
    private const int MaxValueLength = 16;
    private const int MaxPooled = 2048;

    // Keyed by the UTF-8 text as ETT sent it: a name or value already pooled is found without decoding it first.
    private static readonly ConcurrentDictionary<byte[], string> Pool = new(Utf8Comparer.Instance);
    private static int _pooled;
    private static readonly ConcurrentDictionary<byte[], string>.AlternateLookup<ReadOnlySpan<byte>> PoolByUtf8 = Pool.GetAlternateLookup<ReadOnlySpan<byte>>();

    // The attributes of the certificate being read, copied out at its end: one array of the right size per certificate.
    // Reading is synchronous, so one buffer per thread serves every read.
    [ThreadStatic] private static KeyValuePair<string, string>[]? _read;

    public override EttAttributes? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("Certificate attributes must be an object.");
        var read = _read ??= new KeyValuePair<string, string>[ExpectedCount];
        var count = 0;
        try
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = Pooled(ref reader, MaxNameLength);
                reader.Read();
                var value = reader.TokenType switch
                {
                    JsonTokenType.String => Pooled(ref reader, MaxValueLength),
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

    public override void Write(Utf8JsonWriter writer, EttAttributes value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (name, text) in value.AsSpan())
        {
            writer.WritePropertyName(options.DictionaryKeyPolicy?.ConvertName(name) ?? name);
            writer.WriteStringValue(text);
        }
        writer.WriteEndObject();
    }

    private static string Pooled(ref Utf8JsonReader reader, int maxLength)
    {
        // Escaped or split text is rare in ETT's attributes: it is read as it always is, and not pooled.
        if (reader.HasValueSequence || reader.ValueIsEscaped || reader.ValueSpan.Length > maxLength) return reader.GetString()!;
        var utf8 = reader.ValueSpan;
        if (PoolByUtf8.TryGetValue(utf8, out var pooled)) return pooled;
        var created = reader.GetString()!;
        // A counter, not Pool.Count, which takes every lock of the dictionary.
        if (Volatile.Read(ref _pooled) < MaxPooled && Pool.TryAdd(utf8.ToArray(), created)) Interlocked.Increment(ref _pooled);
        return created;
    }

    private sealed class Utf8Comparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly Utf8Comparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] text) => GetHashCode((ReadOnlySpan<byte>)text);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
