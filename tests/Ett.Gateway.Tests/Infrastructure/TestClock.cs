using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace Ett.Gateway.Tests.Infrastructure;

/// <summary>
/// Where every test clock starts: a fixed instant, so the sandbox's seed (which derives from it) and so every test is
/// the same at any hour CI runs. <c>ETT_TEST_CLOCK</c> (ISO 8601) moves the whole suite to another instant; .ci/run
/// runs it at several (night, midday, just before midnight, a daylight-saving change) to prove no test depends on one.
/// </summary>
public static class TestClock
{
    public const string Variable = "ETT_TEST_CLOCK";

    /// <summary>Midday in June: the seed's solar hours produce, so ties in certificate ends are there to be handled.</summary>
    public static readonly DateTimeOffset Default = new(2026, 6, 15, 12, 0, 0, TimeSpan.Zero);

    public static DateTimeOffset Start { get; } =
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime()
            : Default;

    /// <summary>A fake clock at <see cref="Start"/>.</summary>
    public static FakeTimeProvider Create() => new(Start);
}
