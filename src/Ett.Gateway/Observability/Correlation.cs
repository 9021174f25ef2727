using System.Diagnostics;

namespace Ett.Gateway.Observability;

/// <summary>
/// The correlation id of the work in progress: a caller's <c>X-Correlation-ID</c> (validated) or one the gateway made,
/// carried into every log entry (a logging scope), every ETT call (header and trace baggage) and the operation's record.
/// It flows with the async context, so the typed client and YARP read it without a parameter.
/// </summary>
public static class Correlation
{
    public const string HeaderName = "X-Correlation-ID";
    public const int MaxLength = 64;

    /// <summary>The name of the logging scope member, the trace tag and the trace baggage item.</summary>
    public const string LogProperty = "CorrelationId";
    public const string TraceTag = "correlation.id";

    public const string HeaderDescription =
        "Optional. 1 to 64 characters A-Z, a-z, 0-9, '.', '_', '-'; echoed on the response, on every problem and in the operation. " +
        "Without it the gateway makes one. Any other value is refused with 400.";

    private static readonly AsyncLocal<string?> current = new();

    /// <summary>The id of the request or worker step running on this async flow, if any.</summary>
    public static string? Current => current.Value;

    public static bool IsValid(string? value) =>
        value is { Length: > 0 and <= MaxLength } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>
    /// 32 lowercase hex digits in the UUID version 7 layout, time-ordered (so ids sort like the requests they name). The
    /// random bits come from <see cref="Random.Shared"/>: <see cref="Guid.CreateVersion7()"/> reads them from the
    /// operating system, a system call on every request, and a correlation id is no secret.
    /// </summary>
    public static string NewId(TimeProvider time)
    {
        Span<byte> id = stackalloc byte[16];
        Random.Shared.NextBytes(id[6..]);
        var milliseconds = time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < 6; i++) id[i] = (byte)(milliseconds >> (8 * (5 - i)));
        id[6] = (byte)(0x70 | (id[6] & 0x0F)); // version 7
        id[8] = (byte)(0x80 | (id[8] & 0x3F)); // RFC 9562 variant
        return Convert.ToHexStringLower(id);
    }

    /// <summary>
    /// Makes <paramref name="id"/> current until the result is disposed: on this flow, in a logging scope of
    /// <paramref name="logger"/>'s factory, and as a tag and baggage of the current activity (its child spans, the ETT
    /// calls, inherit the baggage).
    /// </summary>
    public static IDisposable Begin(string id, ILogger logger)
    {
        if (Activity.Current is { } activity)
        {
            activity.SetTag(TraceTag, id);
            activity.SetBaggage(TraceTag, id);
        }
        return new Scope(id, logger);
    }

    /// <summary>The logging scope's state (one member, <see cref="LogProperty"/>) and what ends it, in one object per request.</summary>
    private sealed class Scope : IReadOnlyList<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly string _id;
        private readonly string? _previous;
        private readonly IDisposable? _logging;

        public Scope(string id, ILogger logger)
        {
            _id = id;
            _previous = current.Value;
            current.Value = id;
            _logging = logger.BeginScope(this);
        }

        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] =>
            index == 0 ? new(LogProperty, _id) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"{LogProperty}:{_id}";

        public void Dispose()
        {
            _logging?.Dispose();
            current.Value = _previous;
        }
    }
}

/// <summary>The request's correlation id, for endpoints and problem writers.</summary>
public sealed record CorrelationFeature(string Id);
