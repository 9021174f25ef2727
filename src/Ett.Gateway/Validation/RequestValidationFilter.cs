using System.Reflection;
using Ett.Gateway.Errors;
using FluentValidation;
using FluentValidation.Results;

namespace Ett.Gateway.Validation;

/// <summary>Runs the registered validators over the arguments of one endpoint.</summary>
internal sealed class RequestValidationFilter(IReadOnlyList<RequestValidationFilter.ValidatedArgument> arguments)
{
    internal sealed record ValidatedArgument(int Index, Type ValidatorType);

    /// <summary>The handler's parameters whose type has a validator; decided once, when the endpoint is built.</summary>
    public static IReadOnlyList<ValidatedArgument> ValidatedArguments(MethodInfo handler, IServiceProvider services)
    {
        var registry = services.GetRequiredService<IServiceProviderIsService>();
        return
        [
            .. handler.GetParameters()
                .Select(p => new ValidatedArgument(p.Position,
                    typeof(IValidator<>).MakeGenericType(Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType)))
                .Where(a => registry.IsService(a.ValidatorType)),
        ];
    }

    public EndpointFilterDelegate InvokeAsync(EndpointFilterDelegate next) => async context =>
    {
        var failures = new List<ValidationFailure>();
        foreach (var argument in arguments)
        {
            // A missing optional argument is the binder's business, not the validator's.
            if (context.Arguments[argument.Index] is not { } value) continue;
            var validator = (IValidator)context.HttpContext.RequestServices.GetRequiredService(argument.ValidatorType);
            var result = await validator.ValidateAsync(
                new ValidationContext<object>(value), context.HttpContext.RequestAborted);
            failures.AddRange(result.Errors);
        }

        if (failures.Count == 0) return await next(context);

        var errors = failures
            .GroupBy(f => JsonPath(f.PropertyName), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(f => f.ErrorMessage).Distinct().ToArray());
        return TypedResults.ValidationProblem(errors, title: "The request is invalid", type: ProblemTypes.Validation);
    };

    /// <summary><c>Items[0].Gsrn</c> becomes <c>items[0].gsrn</c>: fields are named as callers spell them in JSON and queries.</summary>
    internal static string JsonPath(string propertyName) =>
        string.Join('.', propertyName.Split('.').Select(s => s.Length == 0 ? s : char.ToLowerInvariant(s[0]) + s[1..]));
}
