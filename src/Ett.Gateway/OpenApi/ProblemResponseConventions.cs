using Ett.Gateway.Errors;
using Microsoft.AspNetCore.Mvc;

namespace Ett.Gateway.OpenApi;

/// <summary>OpenAPI declarations shared by gateway endpoints, so each endpoint does not repeat them.</summary>
internal static class ProblemResponseConventions
{
    private static readonly (int Status, string Description)[] UpstreamProblems =
    [
        (StatusCodes.Status403Forbidden,
            $"ETT denied access to the organization ({ProblemTypes.NotConsented}), or the caller lacks the permission."),
        (StatusCodes.Status502BadGateway,
            $"ETT failed, could not be reached or refused the gateway's token ({ProblemTypes.UpstreamUnavailable}), "
            + $"or no longer accepts its API version ({ProblemTypes.UpstreamVersionUnsupported})."),
        (StatusCodes.Status503ServiceUnavailable, $"ETT is overloaded or failing repeatedly ({ProblemTypes.UpstreamUnavailable})."),
        (StatusCodes.Status504GatewayTimeout, $"ETT did not answer in time ({ProblemTypes.UpstreamUnavailable})."),
    ];

    /// <summary>
    /// Documents the problems every endpoint that calls ETT can answer (403, 502, 503, 504, as produced by
    /// <c>EttErrors</c>). Apply to a feature's route group; add endpoint-specific ones (404, 409) with
    /// <c>.ProducesProblem(status)</c>.
    /// </summary>
    public static TBuilder ProducesUpstreamProblems<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            foreach (var (status, description) in UpstreamProblems)
                endpoint.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ["application/problem+json"])
                {
                    Description = description,
                });
        });
        return builder;
    }
}
