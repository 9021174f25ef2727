using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace Ett.Gateway.Upstream;

/// <summary>
/// A certificate's attributes as ETT sent them, in one array sized to them: in ETT's order, and a name sent twice at
/// its first place with its last value, as a dictionary read of them keeps it. A page of fifty certificates with twenty
/// attributes each held fifty dictionaries (their entries and buckets) that were only ever written out again in order.
/// Looking a name up walks the array: twenty-odd names, and the gateway looks up hardly any.
/// </summary>
[JsonConverter(typeof(EttAttributesConverter))]
public sealed class EttAttributes : IReadOnlyDictionary<string, string>
{
    public static readonly EttAttributes Empty = new([]);

    private readonly KeyValuePair<string, string>[] _attributes;

    internal EttAttributes(KeyValuePair<string, string>[] attributes) => _attributes = attributes;

    public int Count => _attributes.Length;

    public string this[string name] => TryGetValue(name, out var value) ? value : throw new KeyNotFoundException($"No attribute {name}.");

    public IEnumerable<string> Keys => _attributes.Select(attribute => attribute.Key);

    public IEnumerable<string> Values => _attributes.Select(attribute => attribute.Value);

    public bool ContainsKey(string name) => IndexOf(_attributes, name) >= 0;

    public bool TryGetValue(string name, [MaybeNullWhen(false)] out string value)
    {
        var at = IndexOf(_attributes, name);
        value = at >= 0 ? _attributes[at].Value : null;
        return at >= 0;
    }

    /// <summary>The attributes in order, for writing them out without an enumerator object.</summary>
    internal ReadOnlySpan<KeyValuePair<string, string>> AsSpan() => _attributes;

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)_attributes).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal static int IndexOf(ReadOnlySpan<KeyValuePair<string, string>> attributes, string name)
    {
        for (var i = 0; i < attributes.Length; i++)
            if (string.Equals(attributes[i].Key, name, StringComparison.Ordinal)) return i;
        return -1;
    }
}
