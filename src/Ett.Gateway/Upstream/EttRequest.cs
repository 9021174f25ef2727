using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ett.Gateway.Errors;

namespace Ett.Gateway.Upstream;

/// <summary>Conventions shared by every request the gateway itself builds for ETT.</summary>
public static class EttRequest
{
    /// <summary>The named HttpClient whose handlers attach the ETT token and the pinned version.</summary>
    public const string HttpClientName = "ett";

    /// <summary>Forces a configured ETT client instead of choosing one by the request's <c>organizationId</c>.</summary>
    public static readonly HttpRequestOptionsKey<string> ClientName = new("Ett.ClientName");

    /// <summary>
    /// ETT's JSON: camelCase, enums and names matched case-insensitively; its answers read by <see cref="EttJsonContext"/>,
    /// the request bodies (anonymous types) by reflection.
    /// </summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(EttJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    /// <summary>ETT's query parameter naming the organization a request is about.</summary>
    public const string OrganizationParameter = "organizationId";

    /// <summary>
    /// The organization a request is about: ETT's <c>organizationId</c> query parameter in any casing or percent-encoding
    /// of its name, given exactly once as a GUID; null when it is absent, repeated (in any spelling) or not a GUID.
    /// Reads the query string where it lies, as every request through the passthrough asks: no dictionary, and a copy
    /// only of a name or value that is encoded.
    /// </summary>
    public static Guid? OrganizationOf(string? queryString)
    {
        var rest = queryString.AsSpan();
        if (rest.StartsWith('?')) rest = rest[1..];
        Guid? organization = null;
        var seen = 0;
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf('&');
            var pair = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            if (!Decoded(name).Equals(OrganizationParameter, StringComparison.OrdinalIgnoreCase)) continue;
            if (++seen > 1) return null;
            organization = Guid.TryParse(Decoded(equals < 0 ? [] : pair[(equals + 1)..]), out var id) ? id : null;
        }
        return organization;
    }

    /// <summary>A query string part decoded as ASP.NET Core decodes the query (<c>+</c> is a space).</summary>
    private static ReadOnlySpan<char> Decoded(ReadOnlySpan<char> part) =>
        part.ContainsAny('%', '+') ? Uri.UnescapeDataString(part.ToString().Replace('+', ' ')) : part;

    /// <summary>Turns an ETT error answer into the gateway's ProblemDetails (<see cref="EttErrors"/>).</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode) throw await EttErrors.ToProblemAsync(response, cancellationToken);
    }
}
