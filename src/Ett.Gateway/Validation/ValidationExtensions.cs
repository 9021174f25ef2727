using System.Reflection;
using Ett.Gateway.Errors;
using FluentValidation;
using Microsoft.AspNetCore.Http.Metadata;

namespace Ett.Gateway.Validation;

public static class ValidationExtensions
{
    /// <summary>
    /// Registers every FluentValidation validator in the gateway assembly, once: they hold no state and depend only on
    /// singletons (options monitors, the clock), and building a validator's rules on every request cost more than
    /// running them.
    /// </summary>
    public static IServiceCollection AddRequestValidation(this IServiceCollection services)
    {
        services.AddValidatorsFromAssemblyContaining<RequestValidationFilter>(ServiceLifetime.Singleton, includeInternalTypes: true);
        return services;
    }

    /// <summary>
    /// Validates, before the handler runs, every argument of every endpoint in the group whose type has a registered
    /// <see cref="IValidator{T}"/>; failures answer 400 with a ValidationProblemDetails of type
    /// <see cref="ProblemTypes.Validation"/> and document that response in OpenAPI.
    /// </summary>
    public static RouteGroupBuilder WithRequestValidation(this RouteGroupBuilder group)
    {
        ((IEndpointConventionBuilder)group).Add(endpoint =>
        {
            if (endpoint.Metadata.OfType<MethodInfo>().FirstOrDefault() is not { } handler) return;
            var validated = RequestValidationFilter.ValidatedArguments(handler, endpoint.ApplicationServices);
            if (validated.Count == 0) return;

            endpoint.FilterFactories.Add((_, next) => new RequestValidationFilter(validated).InvokeAsync(next));
            endpoint.Metadata.Add(new ProducesResponseTypeMetadata(
                StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails), ["application/problem+json"])
            {
                Description = $"The request is invalid ({ProblemTypes.Validation}); `errors` names each field.",
            });
        });
        return group;
    }
}
