namespace Ett.Gateway.Errors;

/// <summary>A failure that becomes a ProblemDetails response with a stable type. Its message must never hold a secret.</summary>
public class GatewayProblemException(int status, string type, string title, string? detail = null, Exception? inner = null)
    : Exception(detail ?? title, inner)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;

    /// <summary>Field errors; when set the response is a ValidationProblemDetails with this <c>errors</c> member.</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    /// <summary>When to try again; sent as the <c>Retry-After</c> header (whole seconds, rounded up).</summary>
    public TimeSpan? RetryAfter { get; set; }

    /// <summary>Extra members for the ProblemDetails (e.g. <c>upstreamStatus</c>).</summary>
    public IDictionary<string, object?> Extensions { get; } = new Dictionary<string, object?>();
}
