using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ett.Gateway.OpenApi;

/// <summary>Names the gateway's document and declares how callers authenticate.</summary>
internal sealed class GatewayDocumentTransformer(GatewaySecuritySchemes security) : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Ett.Gateway",
            Version = "v1",
            Description = "The company's gateway to Energinet's Energy Track & Trace (ETT). Callers authenticate with the "
                + "company's identity provider; the gateway holds the ETT credentials, tokens and API version. Times are "
                + "ISO 8601, quantities carry their unit in the name (quantityWh), and every error is an RFC 9457 "
                + "problem (application/problem+json) whose stable `type` says what went wrong; ETT's own status is in "
                + "`upstreamStatus`. ETT's raw API is reachable under /ett/ (see the \"ETT passthrough\" document).",
        };
        security.AddTo(document);
        return Task.CompletedTask;
    }
}
