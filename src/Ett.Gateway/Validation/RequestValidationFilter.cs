using System.Reflection;
using Ett.Gateway.Errors;
using FluentValidation;
using FluentValidation.Results;

namespace Ett.Gateway.Validation;

/// <summary>Runs the registered validators over the arguments of one endpoint.</summary>
internal sealed class RequestValidationFilter(IReadOnlyList<RequestValidationFilter.ValidatedArgument> arguments)
{
    /// <summary>A handler argument with a validator (a singleton, found once) and how to make its typed context.</summary>
    internal sealed record ValidatedArgument(int Index, IValidator Validator, Func<object, IValidationContext> ContextFor);

    /// <summary>The handler's parameters whose type has a validator; decided once, when the endpoint is built.</summary>
    public static IReadOnlyList<ValidatedArgument> ValidatedArguments(MethodInfo handler, IServiceProvider services)
    {
        var validated = new List<ValidatedArgument>();
        foreach (var parameter in handler.GetParameters())
        {
            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            if (services.GetService(typeof(IValidator<>).MakeGenericType(type)) is not IValidator validator) continue;
            var contextFor = NewContextMethod.MakeGenericMethod(type).CreateDelegate<Func<object, IValidationContext>>();
            validated.Add(new ValidatedArgument(parameter.Position, validator, contextFor));
        }
        return validated;
    }

    private static readonly MethodInfo NewContextMethod =
        typeof(RequestValidationFilter).GetMethod(nameof(NewContext), BindingFlags.NonPublic | BindingFlags.Static)!;

    // The validator's own type: a ValidationContext<object> was copied into one (and its message formatter made twice).
    private static IValidationContext NewContext<T>(object value) => new ValidationContext<T>((T)value);

    public EndpointFilterDelegate InvokeAsync(EndpointFilterDelegate next) => async context =>
    {
        List<ValidationFailure>? failures = null;
        foreach (var argument in arguments)
        {
            // A missing optional argument is the binder's business, not the validator's.
            if (context.Arguments[argument.Index] is not { } value) continue;
            var result = await argument.Validator.ValidateAsync(argument.ContextFor(value), context.HttpContext.RequestAborted);
            if (!result.IsValid) (failures ??= []).AddRange(result.Errors);
        }

        if (failures is null) return await next(context);

        var errors = failures
            .GroupBy(f => JsonPath(f.PropertyName), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(f => f.ErrorMessage).Distinct().ToArray());
        return TypedResults.ValidationProblem(errors, title: "The request is invalid", type: ProblemTypes.Validation);
    };

    /// <summary><c>Items[0].Gsrn</c> becomes <c>items[0].gsrn</c>: fields are named as callers spell them in JSON and queries.</summary>
    internal static string JsonPath(string propertyName) =>
        string.Join('.', propertyName.Split('.').Select(s => s.Length == 0 ? s : char.ToLowerInvariant(s[0]) + s[1..]));
}
