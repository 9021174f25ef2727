using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Ett.Sandbox.Ett;

/// <summary>ETT's response shapes (§9): ProblemDetails, ValidationProblemDetails, bare JSON strings and empty bodies.</summary>
internal static class EttResults
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IResult Ok(object body) => Results.Json(body, Json);

    public static IResult Status(int status, object body) => Results.Json(body, Json, statusCode: status);

    /// <summary>Wallet business errors pass through the proxy as a bare JSON string.</summary>
    public static IResult WalletError(int status, string message) => Results.Json(message, Json, statusCode: status);

    /// <summary>202 as the vault sends it: its Location names a wallet-internal path that is not a public proxy route.</summary>
    public static IResult Accepted(HttpContext http, string property, Guid requestId)
    {
        http.Response.Headers.Location = $"/wallet-api/v1/request-status/{requestId}";
        return Results.Json(new Dictionary<string, Guid> { [property] = requestId }, Json, statusCode: StatusCodes.Status202Accepted);
    }

    public static IResult Empty(int status) => Results.StatusCode(status);

    /// <summary>EnergyOrigin.Setup's ExceptionHandlerMiddleware: <c>{status, statusCode, description}</c> as problem+json.</summary>
    public static IResult EttError(int status, string description) =>
        Results.Json(new { status = ((System.Net.HttpStatusCode)status).ToString(), statusCode = status, description },
            Json, "application/problem+json", status);

    public static IResult Problem(HttpContext http, int status, string type, string title, string? detail = null, string? code = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["type"] = type,
            ["title"] = title,
            ["status"] = status,
        };
        if (detail is not null)
        {
            body["detail"] = detail;
        }

        if (code is not null)
        {
            body["code"] = code;
        }

        body["traceId"] = TraceId(http);
        return Results.Json(body, Json, "application/problem+json", status);
    }

    public static IResult NotFound(HttpContext http) =>
        Problem(http, StatusCodes.Status404NotFound, "https://tools.ietf.org/html/rfc9110#section-15.5.5", "Not Found");

    public static IResult Forbidden(HttpContext http) =>
        Problem(http, StatusCodes.Status403Forbidden, "https://tools.ietf.org/html/rfc9110#section-15.5.4", "Forbidden");

    public static IResult Validation(HttpContext http, string key, string message, int status = StatusCodes.Status400BadRequest) =>
        Validation(http, new Dictionary<string, string[]> { [key] = [message] }, status);

    public static IResult Validation(HttpContext http, IReadOnlyDictionary<string, string[]> errors, int status = StatusCodes.Status400BadRequest) =>
        Results.Json(
            new Dictionary<string, object?>
            {
                ["type"] = status == StatusCodes.Status409Conflict
                    ? "https://tools.ietf.org/html/rfc9110#section-15.5.10"
                    : "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                ["title"] = "One or more validation errors occurred.",
                ["status"] = status,
                ["errors"] = errors,
                ["traceId"] = TraceId(http),
            },
            Json, "application/problem+json", status);

    private static string TraceId(HttpContext http) => Activity.Current?.Id ?? http.TraceIdentifier;
}
