using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Ett.Gateway.Upstream;

/// <summary>
/// A certificate of ETT's certificates list (§2.5) as the certificates page reads it: its members, and its attributes
/// as the bytes ETT sent them (<see cref="EttRawAttributes"/>), which the page writes out as they came.
/// </summary>
public readonly record struct EttCertificate
{
    public string? Registry { get; init; }
    public Guid StreamId { get; init; }
    public long Quantity { get; init; }
    public long Start { get; init; }
    public long End { get; init; }
    public string? GridArea { get; init; }
    public string CertificateType { get; init; }
    public EttRawAttributes Attributes { get; init; }
}

/// <summary>
/// A certificate's attributes (ETT sends an object of strings) as the bytes of that object in ETT's answer, to be
/// written out unchanged: no string per name and value, and no escaping them again. Where a dictionary read would
/// change them (a name sent twice keeps its first place and its last value), or a name is escaped (so that equal names
/// could be spelled differently), they are read into <see cref="EttAttributes"/> instead and written from there.
/// </summary>
public readonly struct EttRawAttributes
{
    private readonly byte[]? _body;
    private readonly int _start;
    private readonly int _length;
    private readonly EttAttributes? _read;

    private EttRawAttributes(byte[] body, int start, int length) => (_body, _start, _length) = (body, start, length);

    private EttRawAttributes(EttAttributes read) => _read = read;

    /// <summary>ETT's JSON text of the object, or empty when it was read (<see cref="Read"/>) or absent.</summary>
    internal ReadOnlySpan<byte> Json => _body.AsSpan(_start, _length);

    /// <summary>The attributes as read, when they could not be written as ETT sent them.</summary>
    internal EttAttributes? Read => _read;

    /// <summary>Writes them as an object; absent or null attributes as an empty one.</summary>
    internal void WriteTo(Utf8JsonWriter writer)
    {
        if (_body is not null)
        {
            // The reader checked it: well-formed, valid UTF-8, escapes that decode.
            writer.WriteRawValue(Json, skipInputValidation: true);
            return;
        }
        EttAttributesConverter.WriteObject(writer, _read ?? EttAttributes.Empty, keyPolicy: null);
    }

    // Up to this many names are told apart by a fingerprint each; more are rare enough to be read the slow way.
    private const int MaxFingerprinted = 64;
    private const int MaxDecodedInScratch = 256;

    // Reading is synchronous, so one set per thread serves every certificate (stackalloc zeroed them for each).
    [ThreadStatic] private static ulong[]? _fingerprints;
    [ThreadStatic] private static int[]? _names;
    [ThreadStatic] private static char[]? _decoded;

    /// <summary>Reads the attributes the reader is at (an object of strings, or null) in <paramref name="body"/>.</summary>
    internal static EttRawAttributes ReadFrom(ref Utf8JsonReader reader, byte[] body)
    {
        if (reader.TokenType == JsonTokenType.Null) return default;
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("Certificate attributes must be an object.");
        var start = (int)reader.TokenStartIndex;
        var fingerprints = _fingerprints ??= new ulong[MaxFingerprinted];
        var names = _names ??= new int[MaxFingerprinted];
        var count = 0;
        var asSent = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (asSent)
            {
                if (reader.ValueIsEscaped || count == MaxFingerprinted) asSent = false;
                else
                {
                    var name = reader.ValueSpan;
                    var fingerprint = Fingerprint(name);
                    // Vectorised: a page's fifty certificates of twenty-odd names each cost next to nothing here.
                    if (fingerprints.AsSpan(0, count).Contains(fingerprint) && Repeats(body, names.AsSpan(0, count), fingerprints.AsSpan(0, count), fingerprint, name))
                        asSent = false;
                    fingerprints[count] = fingerprint;
                    names[count++] = (int)reader.TokenStartIndex + 1;
                }
            }
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                // Read the slow way, the converter decodes every text anyway.
                if (asSent && reader.ValueIsEscaped) EnsureDecodes(ref reader);
            }
            else if (reader.TokenType != JsonTokenType.Null) throw new JsonException("Certificate attributes must be strings.");
        }
        var length = (int)reader.BytesConsumed - start;
        if (asSent) return new EttRawAttributes(body, start, length);

        var again = new Utf8JsonReader(body.AsSpan(start, length));
        again.Read();
        return new EttRawAttributes(EttAttributesConverter.ReadObject(ref again)!);
    }

    private static bool Repeats(byte[] body, ReadOnlySpan<int> names, ReadOnlySpan<ulong> fingerprints, ulong fingerprint, ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < names.Length; i++)
        {
            if (fingerprints[i] != fingerprint) continue;
            var other = body.AsSpan(names[i]);
            if (other.Length > name.Length && other[name.Length] == (byte)'"' && other.StartsWith(name)) return true;
        }
        return false;
    }

    /// <summary>Length, first and last eight bytes: names of a certificate that collide here are compared in full.</summary>
    private static ulong Fingerprint(ReadOnlySpan<byte> name)
    {
        ulong first, last;
        if (name.Length >= sizeof(ulong))
        {
            first = MemoryMarshal.Read<ulong>(name);
            last = MemoryMarshal.Read<ulong>(name[^sizeof(ulong)..]);
        }
        else
        {
            first = 0;
            foreach (var letter in name) first = (first << 8) | letter;
            last = first;
        }
        return first ^ BitOperations.RotateLeft(last, 29) ^ ((ulong)name.Length * 0x9E3779B97F4A7C15UL);
    }

    /// <summary>
    /// An escaped text is written out as ETT sent it only if it decodes: the reader accepts escapes of half a surrogate
    /// pair, which System.Text.Json refuses to read as a string (and so refused the whole answer).
    /// </summary>
    private static void EnsureDecodes(ref Utf8JsonReader reader)
    {
        var length = reader.ValueSpan.Length;
        var rented = length > MaxDecodedInScratch ? ArrayPool<char>.Shared.Rent(length) : null;
        try
        {
            reader.CopyString(rented ?? (_decoded ??= new char[MaxDecodedInScratch]));
        }
        catch (InvalidOperationException undecodable)
        {
            throw new JsonException("A certificate attribute is not valid text.", undecodable);
        }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }
}

/// <summary>
/// Reads ETT's certificates answer (<c>{"result":[GranularCertificate],"metadata":PageInfo}</c>) from its whole body in
/// one pass, as <see cref="EttRequest.Json"/> reads answers: member names in any casing, numbers also as strings,
/// unknown members skipped, a member sent twice read as its last.
/// </summary>
internal static class EttCertificateListReader
{
    // Long enough for any spelling of the members read here, escapes and all.
    private const int MaxMemberName = 128;
    private const int MaxPooledLength = 32;
    private static readonly long MinUnixSeconds = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    private static readonly long MaxUnixSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    // A list sized for the certificates asked for, within reason: grown one doubling at a time, a page's list of
    // certificates was half of what a page allocated.
    private const int MaxExpected = 1024;

    /// <summary>
    /// The page in <paramref name="body"/>'s first <paramref name="length"/> bytes, sized for <paramref name="expected"/>
    /// certificates (what ETT was asked for, if it was told); null for a JSON null.
    /// </summary>
    /// <exception cref="JsonException">The body is not that JSON.</exception>
    public static EttPage<EttCertificate>? Read(byte[] body, int length, int? expected = null)
    {
        var json = body.AsSpan(0, length);
        // The structure is ASCII: checked once here, the texts need not be checked each before they are written out.
        if (!Utf8.IsValid(json)) throw new JsonException("ETT's answer is not UTF-8.");
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read()) throw new JsonException("ETT's answer is empty.");
            if (reader.TokenType == JsonTokenType.Null) return End(ref reader, null);
            Expect(ref reader, JsonTokenType.StartObject);
            List<EttCertificate>? result = null;
            EttPageInfo? metadata = null;
            // For unescaping a member name into; on the heap, since the reader's spans may point into it.
            Span<byte> scratch = new byte[MaxMemberName];
            while (NextMember(ref reader, scratch, out var name))
            {
                if (Is(name, "result"u8)) result = ReadCertificates(ref reader, body, scratch, expected);
                else if (Is(name, "metadata"u8)) metadata = ReadPageInfo(ref reader, scratch);
                else reader.Skip();
            }
            return End(ref reader, new EttPage<EttCertificate>(result, metadata));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException)
        {
            // Utf8JsonReader's getters throw these for a token of another kind or shape than asked for, or out of range.
            throw new JsonException("ETT's certificates answer is not the JSON expected.", e);
        }
    }

    private static EttPage<EttCertificate>? End(ref Utf8JsonReader reader, EttPage<EttCertificate>? page) =>
        reader.Read() ? throw new JsonException("ETT's answer continues after its end.") : page;

    private static List<EttCertificate>? ReadCertificates(ref Utf8JsonReader reader, byte[] body, Span<byte> scratch, int? expected)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        Expect(ref reader, JsonTokenType.StartArray);
        var certificates = new List<EttCertificate>(Math.Clamp(expected ?? 0, 0, MaxExpected));
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            certificates.Add(ReadCertificate(ref reader, body, scratch));
        return certificates;
    }

    private static EttCertificate ReadCertificate(ref Utf8JsonReader reader, byte[] body, Span<byte> scratch)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var (registry, streamId, hasId) = ((string?)null, Guid.Empty, false);
        var (quantity, start, end) = (0L, 0L, 0L);
        var (gridArea, type) = ((string?)null, (string?)null);
        EttRawAttributes attributes = default;
        while (NextMember(ref reader, scratch, out var name))
        {
            if (Is(name, "federatedStreamId"u8))
            {
                Expect(ref reader, JsonTokenType.StartObject);
                hasId = true;
                while (NextMember(ref reader, scratch, out var member))
                {
                    if (Is(member, "registry"u8)) registry = PooledString(ref reader);
                    else if (Is(member, "streamId"u8)) streamId = reader.GetGuid();
                    else reader.Skip();
                }
            }
            else if (Is(name, "quantity"u8)) quantity = Int64(ref reader);
            else if (Is(name, "start"u8)) start = UnixSeconds(ref reader);
            else if (Is(name, "end"u8)) end = UnixSeconds(ref reader);
            else if (Is(name, "gridArea"u8)) gridArea = PooledString(ref reader);
            else if (Is(name, "certificateType"u8)) type = PooledString(ref reader);
            else if (Is(name, "attributes"u8)) attributes = EttRawAttributes.ReadFrom(ref reader, body);
            else reader.Skip();
        }
        if (!hasId || type is null) throw new JsonException("A certificate has no federatedStreamId or certificateType.");
        return new EttCertificate
        {
            Registry = registry,
            StreamId = streamId,
            Quantity = quantity,
            Start = start,
            End = end,
            GridArea = gridArea,
            CertificateType = type,
            Attributes = attributes,
        };
    }

    private static EttPageInfo? ReadPageInfo(ref Utf8JsonReader reader, Span<byte> scratch)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        Expect(ref reader, JsonTokenType.StartObject);
        var (count, offset, limit, total) = (0, 0, 0, 0);
        while (NextMember(ref reader, scratch, out var name))
        {
            if (Is(name, "count"u8)) count = checked((int)Int64(ref reader));
            else if (Is(name, "offset"u8)) offset = checked((int)Int64(ref reader));
            else if (Is(name, "limit"u8)) limit = checked((int)Int64(ref reader));
            else if (Is(name, "total"u8)) total = checked((int)Int64(ref reader));
            else reader.Skip();
        }
        return new EttPageInfo(count, offset, limit, total);
    }

    /// <summary>Moves to the next member's value; false at the object's end. The name is unescaped into <paramref name="scratch"/> if need be.</summary>
    private static bool NextMember(ref Utf8JsonReader reader, Span<byte> scratch, out ReadOnlySpan<byte> name)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.PropertyName)
        {
            name = default;
            return false;
        }
        name = !reader.ValueIsEscaped ? reader.ValueSpan
            // A name longer than any read here (once unescaped) is skipped unread, as the serializer skips unknown names.
            : reader.ValueSpan.Length <= scratch.Length ? scratch[..reader.CopyString(scratch)]
            : default;
        reader.Read();
        return true;
    }

    /// <summary>ETT's camelCase name, or it in other casing (the serializer matches names case-insensitively).</summary>
    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> member) =>
        name.SequenceEqual(member) || Ascii.EqualsIgnoreCase(name, member);

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType token)
    {
        if (reader.TokenType != token) throw new JsonException($"Expected {token}, not {reader.TokenType}.");
    }

    private static string? PooledString(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => EttStringPool.Read(ref reader, MaxPooledLength),
        JsonTokenType.Null => null,
        _ => throw new JsonException($"Expected a string, not {reader.TokenType}."),
    };

    /// <summary>A number, or a number in a string (<see cref="JsonSerializerDefaults.Web"/> reads both).</summary>
    private static long Int64(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String) return reader.GetInt64();
        var text = reader.GetString();
        return long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new JsonException($"Expected a number, not \"{text}\".");
    }

    /// <summary>Unix seconds the page can write as an ISO 8601 instant.</summary>
    private static long UnixSeconds(ref Utf8JsonReader reader)
    {
        var seconds = Int64(ref reader);
        return seconds >= MinUnixSeconds && seconds <= MaxUnixSeconds ? seconds : throw new JsonException($"{seconds} is not an instant.");
    }
}
