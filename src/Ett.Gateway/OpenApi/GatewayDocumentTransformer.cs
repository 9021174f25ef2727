using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ett.Gateway.OpenApi;

/// <summary>Names the gateway's document, describes its tags and declares how callers authenticate.</summary>
internal sealed class GatewayDocumentTransformer(GatewaySecuritySchemes security) : IOpenApiDocumentTransformer
{
    public const string Title = "ETT Gateway";

    private static readonly (string Name, string Description)[] Tags =
    [
        ("Organizations", "Who consented to the gateway's ETT client, and the link to ETT's consent page for those who have not."),
        ("Metering points", "An organization's metering points and whether each issues certificates now."),
        ("Contracts", "Activate a metering point: a contract makes ETT issue certificates for it."),
        ("Wallet", "The organization's ETT wallet, its available quantities and receive endpoints for external partners."),
        ("Certificates", "Available production and consumption certificates, with their attributes."),
        ("Partners", "Receivers of transfers: organizations on the gateway's ETT client, or external wallets."),
        ("Transfers", "Send production certificates to a partner (202 + operation), and the transfer history."),
        ("Claims", "Claim production against consumption (202 + operation), and the claim history."),
        ("Operations", "Follow a transfer or claim: its status and one leg per ETT request."),
        ("Admin", "For `Ett.Admin` callers: the audit trail of every state-changing call."),
    ];

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = Title,
            Version = "v1",
            Description = "The company's gateway to Energinet's Energy Track & Trace (ETT). Callers authenticate with the "
                + "company's identity provider (press **Authorize**); the gateway holds the ETT credentials, tokens and API "
                + "version. Times are ISO 8601, quantities carry their unit in the name (quantityWh), and every error is an "
                + "RFC 9457 problem (application/problem+json) whose stable `type` says what went wrong; ETT's own status is "
                + "in `upstreamStatus`. ETT's raw API is reachable under /ett/ (choose \"ETT passthrough\" at the top).",
        };
        var used = document.Paths?.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []).SelectMany(o => o.Tags ?? new HashSet<OpenApiTagReference>())
            .Select(t => t.Name).ToHashSet() ?? [];
        // In the order a newcomer walks through them; a tag missing from the table keeps the generator's place, at the end.
        document.Tags = new HashSet<OpenApiTag>(Tags.Where(t => used.Remove(t.Name))
            .Select(t => new OpenApiTag { Name = t.Name, Description = t.Description })
            .Concat(used.Select(name => new OpenApiTag { Name = name })));
        security.AddTo(document);
        return Task.CompletedTask;
    }
}
