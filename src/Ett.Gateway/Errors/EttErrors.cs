using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace Ett.Gateway.Errors;

/// <summary>
/// Translates ETT's failures into <see cref="GatewayProblemException"/>s. ETT answers errors in four shapes (ETT-API.md §9):
/// ProblemDetails, its own <c>{status, statusCode, description}</c>, a bare JSON string (or plain text), and an empty body.
/// </summary>
/// <remarks>
/// The typed ETT client calls this after every non-success response:
/// <code>if (!response.IsSuccessStatusCode) throw await EttErrors.ToProblemAsync(response, ct);</code>
/// and around every send:
/// <code>catch (Exception e) when (EttErrors.FromTransportFailure(e, ct) is { } problem) { throw problem; }</code>
/// </remarks>
internal static partial class EttErrors
{
    // Error bodies are short; reading more would only let a misbehaving upstream make us buffer it.
    private const int MaxBodyBytes = 16 * 1024;
    private const int MaxDetailLength = 500;

    /// <summary>The gateway's problem for ETT's non-success <paramref name="response"/>; does not dispose it.</summary>
    public static async Task<GatewayProblemException> ToProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var upstreamStatus = (int)response.StatusCode;
        var body = await ReadBodyAsync(response.Content, cancellationToken);
        var parsed = Parse(body, response.Content.Headers.ContentType?.MediaType);
        var (status, type, title) = Classify(upstreamStatus, parsed);

        var carriesErrors = type == ProblemTypes.Validation;
        // Where ETT's field errors are not passed on (e.g. its 409 ValidationProblemDetails), the first says what is
        // wrong better than ETT's generic title.
        var detail = (carriesErrors ? null : parsed.Errors?.Values.SelectMany(m => m).FirstOrDefault())
            ?? parsed.Message ?? DetailForSilence(upstreamStatus);
        var problem = new GatewayProblemException(status, type, title, detail)
        {
            Errors = carriesErrors ? parsed.Errors : null,
        };
        problem.Extensions["upstreamStatus"] = upstreamStatus;
        if (status == StatusCodes.Status503ServiceUnavailable) problem.RetryAfter = response.Headers.RetryAfter?.Delta;
        if (parsed.TraceId is not null) problem.Extensions["upstreamTraceId"] = parsed.TraceId;
        return problem;
    }

    /// <summary>
    /// The gateway's problem when sending to ETT threw: connection failures (502), timeouts (504), an open circuit (503
    /// with <c>Retry-After</c>). Null when the exception is something else, including the caller's own cancellation.
    /// </summary>
    public static GatewayProblemException? FromTransportFailure(Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested) return null;

        // Messages of these exceptions can carry host names and socket details; the caller gets a fixed text instead.
        var problem = exception switch
        {
            TaskCanceledException { InnerException: TimeoutException } or TimeoutRejectedException => TimedOut(exception),
            BrokenCircuitException broken =>
                new GatewayProblemException(StatusCodes.Status503ServiceUnavailable, ProblemTypes.UpstreamUnavailable,
                    Titles.Unavailable, "ETT has been failing; the gateway is not calling it for a while.", exception)
                {
                    RetryAfter = broken.RetryAfter,
                },
            RateLimiterRejectedException full =>
                new GatewayProblemException(StatusCodes.Status503ServiceUnavailable, ProblemTypes.UpstreamUnavailable,
                    Titles.Unavailable, "The gateway has as many ETT requests in flight and waiting as Limits:MaxConcurrentEttRequests and Limits:EttQueueLimit allow.", exception)
                {
                    RetryAfter = full.RetryAfter ?? TimeSpan.FromSeconds(1),
                },
            HttpRequestException or SocketException or IOException =>
                new GatewayProblemException(StatusCodes.Status502BadGateway, ProblemTypes.UpstreamUnavailable,
                    Titles.Unavailable, "ETT could not be reached.", exception),
            _ => null,
        };
        return problem;
    }

    /// <summary>ETT took longer than the gateway's budget for the call (504).</summary>
    public static GatewayProblemException TimedOut(Exception exception) =>
        new(StatusCodes.Status504GatewayTimeout, ProblemTypes.UpstreamUnavailable, Titles.Unavailable, "ETT did not answer in time.", exception);

    /// <summary>ETT answered success with a body that is not the JSON expected (an HTML page, a cut-off document).</summary>
    public static GatewayProblemException UnreadableBody(Exception? exception = null) =>
        new(StatusCodes.Status502BadGateway, ProblemTypes.UpstreamUnavailable, Titles.Unavailable,
            "ETT answered with a body that is not the JSON expected.", exception);

    /// <summary>ETT answered success with more than <see cref="Upstream.EttResilienceOptions.MaxAnswerBytes"/>.</summary>
    public static GatewayProblemException AnswerTooLong(long maxBytes) =>
        new(StatusCodes.Status502BadGateway, ProblemTypes.UpstreamUnavailable, Titles.Unavailable,
            $"ETT answered with more than {maxBytes} bytes (Ett:Resilience:MaxAnswerBytes).");

    private static (int Status, string Type, string Title) Classify(int upstreamStatus, EttErrorBody body) => upstreamStatus switch
    {
        400 when body.IsApiVersionError =>
            (StatusCodes.Status502BadGateway, ProblemTypes.UpstreamVersionUnsupported, Titles.VersionUnsupported),
        400 when body.Errors is not null => (StatusCodes.Status400BadRequest, ProblemTypes.Validation, Titles.Validation),
        400 or 422 => (StatusCodes.Status400BadRequest, ProblemTypes.UpstreamRejected, Titles.Rejected),
        // ETT rejecting the gateway's own token (which the client already renewed once) is not the caller's to fix.
        401 => (StatusCodes.Status502BadGateway, ProblemTypes.UpstreamUnavailable, Titles.TokenRejected),
        403 => (StatusCodes.Status403Forbidden, ProblemTypes.NotConsented, Titles.NotConsented),
        404 => (StatusCodes.Status404NotFound, ProblemTypes.NotFound, Titles.NotFound),
        409 => (StatusCodes.Status409Conflict, ProblemTypes.Conflict, Titles.Conflict),
        429 or 503 => (StatusCodes.Status503ServiceUnavailable, ProblemTypes.UpstreamUnavailable, Titles.Unavailable),
        504 => (StatusCodes.Status504GatewayTimeout, ProblemTypes.UpstreamUnavailable, Titles.Unavailable),
        >= 500 => (StatusCodes.Status502BadGateway, ProblemTypes.UpstreamUnavailable, Titles.Unavailable),
        // ETT's API never redirects, and the gateway's ETT client does not follow: a misconfigured Ett:BaseUrl.
        >= 300 and < 400 => (StatusCodes.Status502BadGateway, ProblemTypes.UpstreamUnavailable, Titles.Redirected),
        // Any other 4xx means the gateway built a request ETT does not understand.
        _ => (StatusCodes.Status502BadGateway, ProblemTypes.UpstreamRejected, Titles.Rejected),
    };

    private static string DetailForSilence(int upstreamStatus) => upstreamStatus switch
    {
        // Measurements and contracts answer Forbid() with an empty body for both causes.
        403 => "ETT answered 403 without a body: the organization has not consented to the gateway's ETT client "
            + "(or consented after the gateway's token was issued), or the client lacks a required status such as trial.",
        401 => "ETT answered 401 to a freshly renewed gateway token.",
        >= 300 and < 400 => $"ETT answered {upstreamStatus}, a redirect the gateway does not follow: check Ett:BaseUrl.",
        _ => $"ETT answered {upstreamStatus} without a body.",
    };

    private static async Task<string> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxBodyBytes];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            length += read;
        return Encoding.UTF8.GetString(buffer, 0, length).Trim();
    }

    private static EttErrorBody Parse(string body, string? mediaType)
    {
        if (body.Length == 0) return EttErrorBody.Empty;
        if (body[0] is '{' or '"')
        {
            try
            {
                using var json = JsonDocument.Parse(body);
                return json.RootElement.ValueKind switch
                {
                    JsonValueKind.String => new EttErrorBody(Clean(json.RootElement.GetString())),
                    JsonValueKind.Object => FromObject(json.RootElement),
                    _ => EttErrorBody.Empty,
                };
            }
            catch (JsonException)
            {
                // Not JSON after all: fall through and treat it as text.
            }
        }

        // An HTML error page (a proxy or load balancer in front of ETT) says nothing useful and may echo headers.
        if (mediaType is "text/html" || body[0] == '<') return EttErrorBody.Empty;
        return new EttErrorBody(Clean(body));
    }

    private static EttErrorBody FromObject(JsonElement root)
    {
        // EttError: {status: "Forbidden", statusCode: 403, description: "..."}.
        if (Text(root, "description") is { } description) return new EttErrorBody(Clean(description));

        // ProblemDetails / ValidationProblemDetails: {type, title, status, detail?, traceId, errors?, code?}.
        var code = Text(root, "code");
        var type = Text(root, "type");
        return new EttErrorBody(Clean(Text(root, "detail") ?? Text(root, "title")))
        {
            Errors = Errors(root),
            TraceId = Text(root, "traceId"),
            IsApiVersionError = code is "ApiVersionUnspecified" or "UnsupportedApiVersion"
                || type?.Contains("api-versioning.org", StringComparison.OrdinalIgnoreCase) == true,
        };
    }

    private static Dictionary<string, string[]>? Errors(JsonElement root)
    {
        if (Property(root, "errors") is not { ValueKind: JsonValueKind.Object } errors) return null;
        var result = new Dictionary<string, string[]>();
        foreach (var field in errors.EnumerateObject())
        {
            string?[] messages = field.Value.ValueKind switch
            {
                JsonValueKind.Array => [.. field.Value.EnumerateArray().Select(m => m.ValueKind == JsonValueKind.String ? Clean(m.GetString()) : null)],
                JsonValueKind.String => [Clean(field.Value.GetString())],
                _ => [],
            };
            result[field.Name] = [.. messages.OfType<string>()];
        }
        return result.Count == 0 ? null : result;
    }

    private static string? Text(JsonElement root, string name) =>
        Property(root, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    // ETT is camelCase, but nothing promises it for every service: match names case-insensitively.
    private static JsonElement? Property(JsonElement root, string name)
    {
        foreach (var property in root.EnumerateObject())
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase)) return property.Value;
        return null;
    }

    /// <summary>
    /// Keeps ETT's message fit to show a caller: the first line only (a stack trace never starts on it), bounded length,
    /// and anything shaped like a token or secret redacted.
    /// </summary>
    private static string? Clean(string? message)
    {
        if (string.IsNullOrWhiteSpace(message)) return null;
        var firstLine = message.Trim().Split('\n', 2)[0].Trim();
        var redacted = Jwt().Replace(firstLine, "[redacted]");
        redacted = BearerCredential().Replace(redacted, "Bearer [redacted]");
        redacted = NamedSecret().Replace(redacted, "$1=[redacted]");
        return redacted.Length <= MaxDetailLength ? redacted : redacted[..MaxDetailLength] + "…";
    }

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")]
    private static partial Regex Jwt();

    [GeneratedRegex(@"\bBearer\s+[A-Za-z0-9._~+/=-]+", RegexOptions.IgnoreCase)]
    private static partial Regex BearerCredential();

    [GeneratedRegex(@"\b(client_secret|clientSecret|secret|password|access_token|refresh_token)\b\s*[=:]\s*""?[^\s"",;&)]+", RegexOptions.IgnoreCase)]
    private static partial Regex NamedSecret();

    private sealed record EttErrorBody(string? Message)
    {
        public static readonly EttErrorBody Empty = new((string?)null);
        public IReadOnlyDictionary<string, string[]>? Errors { get; init; }
        public string? TraceId { get; init; }
        public bool IsApiVersionError { get; init; }
    }

    private static class Titles
    {
        public const string Validation = "ETT rejected fields of the request";
        public const string Rejected = "ETT rejected the request";
        public const string VersionUnsupported = "ETT no longer accepts the gateway's API version";
        public const string TokenRejected = "ETT rejected the gateway's access token";
        public const string NotConsented = "ETT denied access to the organization";
        public const string NotFound = "Not found in ETT";
        public const string Conflict = "ETT reported a conflict";
        public const string Unavailable = "ETT is unavailable";
        public const string Redirected = "ETT redirected the request";
    }
}
