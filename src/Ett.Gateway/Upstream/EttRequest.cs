using System.Text.Json;
using Ett.Gateway.Errors;

namespace Ett.Gateway.Upstream;

/// <summary>Conventions shared by every request the gateway itself builds for ETT.</summary>
public static class EttRequest
{
    /// <summary>The named HttpClient whose handlers attach the ETT token and the pinned version.</summary>
    public const string HttpClientName = "ett";

    /// <summary>Forces a configured ETT client instead of choosing one by the request's <c>organizationId</c>.</summary>
    public static readonly HttpRequestOptionsKey<string> ClientName = new("Ett.ClientName");

    /// <summary>ETT's JSON: camelCase, enums and names matched case-insensitively.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The organization a request is about: ETT's <c>organizationId</c> query parameter (any casing).</summary>
    public static Guid? OrganizationOf(string? queryString)
    {
        foreach (var (name, values) in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(queryString))
        {
            if (name.Equals("organizationId", StringComparison.OrdinalIgnoreCase) && Guid.TryParse(values.ToString(), out var id)) return id;
        }
        return null;
    }

    /// <summary>Turns an ETT error answer into the gateway's ProblemDetails (<see cref="EttErrors"/>).</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode) throw await EttErrors.ToProblemAsync(response, cancellationToken);
    }
}
