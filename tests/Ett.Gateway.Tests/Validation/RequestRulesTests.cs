using Ett.Gateway.Validation;
using FluentValidation;

namespace Ett.Gateway.Tests.Validation;

public class RequestRulesTests
{
    private sealed record Fields(string? Text = null, int? Limit = null, Guid Id = default, DateTimeOffset? From = null, DateTimeOffset? To = null);

    private static bool Valid(Action<InlineValidator<Fields>> rules, Fields fields)
    {
        var validator = new InlineValidator<Fields>();
        rules(validator);
        return validator.Validate(fields).IsValid;
    }

    [Theory]
    [InlineData("571313000000000001", true)]
    [InlineData(null, true)]
    [InlineData("57131300000000001", false)]
    [InlineData("5713130000000000011", false)]
    [InlineData("57131300000000000a", false)]
    [InlineData(" 57131300000000001", false)]
    [InlineData("٥٧١٣١٣٠٠٠٠٠٠٠٠٠٠٠١", false)] // Arabic-Indic digits pass char.IsDigit, not a GSRN.
    public void Gsrn_is_exactly_18_ascii_digits(string? value, bool valid) =>
        Assert.Equal(valid, Valid(v => v.RuleFor(f => f.Text).Gsrn(), new Fields(Text: value)));

    [Theory]
    [InlineData(null, true)]
    [InlineData(1, true)]
    [InlineData(1000, true)]
    [InlineData(0, false)]
    [InlineData(1001, false)]
    [InlineData(-5, false)]
    public void Page_limit_is_1_to_1000(int? limit, bool valid) =>
        Assert.Equal(valid, Valid(v => v.RuleFor(f => f.Limit).PageLimit(), new Fields(Limit: limit)));

    [Fact]
    public void Empty_guid_is_rejected()
    {
        Assert.False(Valid(v => v.RuleFor(f => f.Id).NonEmptyGuid(), new Fields(Id: Guid.Empty)));
        Assert.True(Valid(v => v.RuleFor(f => f.Id).NonEmptyGuid(), new Fields(Id: Guid.NewGuid())));
    }

    [Theory]
    [InlineData("2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", true)]
    [InlineData("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", false)]
    [InlineData("2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00Z", false)] // same instant in another offset
    [InlineData("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z", false)]
    [InlineData(null, "2026-01-01T00:00:00Z", true)]
    [InlineData("2026-01-01T00:00:00Z", null, true)]
    public void From_must_be_before_to(string? from, string? to, bool valid) =>
        Assert.Equal(valid, Valid(v => v.RuleFor(f => f.From).Before(f => f.To),
            new Fields(From: from is null ? null : DateTimeOffset.Parse(from), To: to is null ? null : DateTimeOffset.Parse(to))));

    [Theory]
    [InlineData("https://app.example.com/onboarded?x=1", true)]
    [InlineData(null, true)]
    [InlineData("http://app.example.com/", false)]
    [InlineData("/relative/path", false)]
    [InlineData("app.example.com", false)]
    [InlineData("https://user:pass@app.example.com/", false)]
    [InlineData("javascript:alert(1)", false)]
    public void Url_must_be_absolute_https(string? url, bool valid) =>
        Assert.Equal(valid, Valid(v => v.RuleFor(f => f.Text).AbsoluteHttpsUrl(), new Fields(Text: url)));
}
