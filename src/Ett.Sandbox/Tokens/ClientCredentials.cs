using Ett.Sandbox.Ett;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Ett.Sandbox.Tokens;

/// <summary>A client-credentials token request, read from the form or from HTTP Basic authentication.</summary>
internal sealed record ClientCredentials(string? GrantType, string? ClientId, string? ClientSecret, string? Scope)
{
    public static async Task<ClientCredentials> ReadAsync(HttpRequest request)
    {
        var form = request.HasFormContentType ? await request.ReadFormAsync() : FormCollection.Empty;
        string? clientId = form["client_id"];
        string? clientSecret = form["client_secret"];
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    clientId = Uri.UnescapeDataString(pair[..colon]);
                    clientSecret = Uri.UnescapeDataString(pair[(colon + 1)..]);
                }
            }
            catch (FormatException)
            {
                clientId = null;
            }
        }

        return new ClientCredentials(form["grant_type"], clientId, clientSecret, form["scope"]);
    }

    public IResult? Reject()
    {
        if (!string.Equals(GrantType, "client_credentials", StringComparison.Ordinal))
        {
            return Results.Json(new { error = "unsupported_grant_type" }, EttResults.Json, statusCode: StatusCodes.Status400BadRequest);
        }

        return string.IsNullOrEmpty(ClientId) || string.IsNullOrEmpty(ClientSecret) ? InvalidClient() : null;
    }

    public static IResult InvalidClient() =>
        Results.Json(new { error = "invalid_client" }, EttResults.Json, statusCode: StatusCodes.Status401Unauthorized);
}
