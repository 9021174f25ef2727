using System.Linq.Expressions;
using FluentValidation;

namespace Ett.Gateway.Validation;

/// <summary>
/// Rules shared by the gateway's request validators. Messages do not repeat the field name: the <c>errors</c> key
/// already names it as the caller spelled it.
/// </summary>
internal static class RequestRules
{
    public const int MaxPageLimit = 1000;

    /// <summary>A GSRN metering point id: exactly 18 ASCII digits.</summary>
    public static IRuleBuilderOptions<T, string?> Gsrn<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(value => value is null || value is { Length: 18 } && value.All(char.IsAsciiDigit))
            .WithMessage("Must be a GSRN: exactly 18 digits.");

    /// <summary>Strictly earlier than the other bound; passes when either bound is absent.</summary>
    public static IRuleBuilderOptions<T, DateTimeOffset?> Before<T>(
        this IRuleBuilder<T, DateTimeOffset?> rule, Expression<Func<T, DateTimeOffset?>> upperBound)
    {
        var upper = upperBound.Compile();
        var upperName = RequestValidationFilter.JsonPath(((MemberExpression)upperBound.Body).Member.Name);
        return rule.Must((model, value) => value is null || upper(model) is not { } end || value < end)
            .WithMessage($"Must be earlier than '{upperName}'.");
    }

    /// <summary>A page size the gateway accepts: 1 to <see cref="MaxPageLimit"/>; absent means the default.</summary>
    public static IRuleBuilderOptions<T, int?> PageLimit<T>(this IRuleBuilder<T, int?> rule) =>
        rule.Must(value => value is null or >= 1 and <= MaxPageLimit)
            .WithMessage($"Must be between 1 and {MaxPageLimit}.");

    /// <summary>ETT's grid areas (bidding zones), as its certificates spell them.</summary>
    public static readonly string[] GridAreas = ["DK1", "DK2"];

    /// <summary>One of <see cref="GridAreas"/>, exactly; absent means any.</summary>
    public static IRuleBuilderOptions<T, string?> GridArea<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(value => value is null || GridAreas.Contains(value, StringComparer.Ordinal))
            .WithMessage($"Must be {string.Join(" or ", GridAreas.Select(area => $"'{area}'"))}.");

    /// <summary>Whole seconds: ETT takes unix seconds, so a fraction would be cut off silently.</summary>
    public static IRuleBuilderOptions<T, DateTimeOffset?> WholeSeconds<T>(this IRuleBuilder<T, DateTimeOffset?> rule) =>
        rule.Must(value => value is null || value.Value.Ticks % TimeSpan.TicksPerSecond == 0)
            .WithMessage("Must be a whole second: ETT takes unix seconds.");

    public static IRuleBuilderOptions<T, Guid> NonEmptyGuid<T>(this IRuleBuilder<T, Guid> rule) =>
        rule.Must(value => value != Guid.Empty).WithMessage("Must be a non-empty GUID.");

    /// <summary>An absolute https URL without credentials in it (they would end up in logs and browser history).</summary>
    public static IRuleBuilderOptions<T, string?> AbsoluteHttpsUrl<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(value => value is null
                || Uri.TryCreate(value, UriKind.Absolute, out var uri)
                    && uri.Scheme == Uri.UriSchemeHttps && uri.Host.Length > 0 && uri.UserInfo.Length == 0)
            .WithMessage("Must be an absolute https URL.");
}
