namespace Ett.Gateway.Tests.Infrastructure;

/// <summary>One request as it arrived at a fake upstream: what crossed the wire, nothing inferred.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string[]> Headers, byte[] Body)
{
    public string[] HeaderValues(string name) =>
        Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value ?? [];

    public bool HasHeader(string name) => HeaderValues(name).Length > 0;

    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
}
