using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ett.Gateway.Upstream;

/// <summary>
/// The short texts that every certificate of a page repeats (<c>Energinet.dk</c>, <c>DK1</c>, <c>production</c>, the
/// attribute names and values such as <c>Yes</c>), read as one string each instead of allocated again for each
/// certificate. Bounded: once full it only answers what it holds.
/// </summary>
internal static class EttStringPool
{
    private const int MaxPooled = 2048;

    // Keyed by the UTF-8 text as ETT sent it: a text already pooled is found without decoding it first.
    private static readonly ConcurrentDictionary<byte[], string> Pool = new(Utf8Comparer.Instance);
    private static int _pooled;
    private static readonly ConcurrentDictionary<byte[], string>.AlternateLookup<ReadOnlySpan<byte>> PoolByUtf8 = Pool.GetAlternateLookup<ReadOnlySpan<byte>>();

    /// <summary>The reader's string, pooled when it is at most <paramref name="maxLength"/> bytes.</summary>
    public static string Read(ref Utf8JsonReader reader, int maxLength)
    {
        // Escaped text (ETT escapes every non-ASCII letter, as in addresses) is pooled by its escaped form, which decodes
        // to one text only; text split across buffers is rare, and read as it always is.
        if (reader.HasValueSequence || reader.ValueSpan.Length > maxLength) return reader.GetString()!;
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

/// <summary>A short string member every certificate repeats (registry, grid area, type), read through <see cref="EttStringPool"/>.</summary>
internal sealed class EttPooledStringConverter : JsonConverter<string>
{
    private const int MaxLength = 32;

    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? EttStringPool.Read(ref reader, MaxLength)
            : throw new JsonException($"Expected a string, not {reader.TokenType}.");

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
