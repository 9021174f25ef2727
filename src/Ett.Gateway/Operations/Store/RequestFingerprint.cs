using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ett.Gateway.Operations.Store;

/// <summary>
/// The idempotency fingerprint: SHA-256 over method, path and the canonical body, so a retry that re-serializes the
/// same JSON (other whitespace or property order) still matches while any change of value does not.
/// </summary>
internal static class RequestFingerprint
{
    public static string Compute(string method, string path, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{method.ToUpperInvariant()}\n{path}\n"));
        hash.AppendData(Canonical(body));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>JSON with object members sorted by name and no whitespace; a body that is not JSON is taken as is.</summary>
    private static byte[] Canonical(ReadOnlySpan<byte> body)
    {
        var bytes = body.ToArray();
        if (bytes.Length == 0) return bytes;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            return bytes;
        }

        using (document)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                Write(writer, document.RootElement);
            }
            return buffer.WrittenSpan.ToArray();
        }
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) Write(writer, item);
                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
