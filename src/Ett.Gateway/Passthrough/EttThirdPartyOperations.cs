using System.Text.Json.Nodes;
using Ett.Gateway.Callers;

namespace Ett.Gateway.Passthrough;

/// <summary>
/// One ETT operation the passthrough forwards, with the permission it needs, where it names its organization, and —
/// where ETT looks the resource up beyond that organization — the route parameter checked against the organization's own list.
/// </summary>
internal sealed record EttOperation(string Method, string Path, string Permission, OrganizationSource Organization, OwnedResource? Owned = null);

/// <summary>
/// The passthrough's allow-list, read from ETT's checked-in contract (<c>OpenApi/ett-upstream.openapi.json</c>): the
/// operations ETT offers third-party clients (<c>x-ett-policy: FrontendOr3rdParty</c>) in its developer portal. ETT's
/// hidden endpoints (<c>x-ett-in-developer-portal: false</c>) and the anonymous inter-wallet <c>slices</c> are left out.
/// </summary>
internal static class EttThirdPartyOperations
{
    private const string ContractResource = "ett-upstream.openapi.json";
    private const string OrganizationParameterRef = "#/components/parameters/OrganizationId";

    /// <summary>
    /// The permission of each operation that is not a plain read. The gateway's own ETT client secrets are admin
    /// business; creating a wallet is deprecated onboarding (ETT makes wallets when terms are accepted).
    /// </summary>
    private static readonly Dictionary<(string Method, string Path), string> Writes = new()
    {
        [("GET", "/api/authorization/clients/{clientId}/credentials")] = CallerPolicies.Admin,
        [("POST", "/api/authorization/clients/{clientId}/credentials")] = CallerPolicies.Admin,
        [("DELETE", "/api/authorization/clients/{clientId}/credentials/{keyId}")] = CallerPolicies.Admin,
        [("POST", "/api/certificates/contracts")] = CallerPolicies.Contracts,
        [("PUT", "/api/certificates/contracts")] = CallerPolicies.Contracts,
        // A report is an export of what the organization's reader may already read.
        [("POST", "/api/reports")] = CallerPolicies.Read,
        [("POST", "/wallet-api/wallets")] = CallerPolicies.Admin,
        [("POST", "/wallet-api/wallets/{walletId}/endpoints")] = CallerPolicies.Contracts,
        [("POST", "/wallet-api/external-endpoints")] = CallerPolicies.Transfer,
        [("POST", "/wallet-api/transfers")] = CallerPolicies.Transfer,
        [("POST", "/wallet-api/claims")] = CallerPolicies.Claim,
    };

    /// <summary>
    /// Reads that ETT answers for any organization of its token, not only the one named in <c>organizationId</c>: a
    /// contract by id (energy-origin Query.API <c>ContractsController.GetContract</c>: <c>GetById</c> over
    /// <c>AuthorizedOrganizationIds</c>), a report download (Transfer.API <c>DownloadReportCommand</c>:
    /// <c>GetByIdAsync(reportId)</c>, the organization unused). The passthrough forwards them only for an id in the named
    /// organization's own list.
    /// </summary>
    private static readonly Dictionary<(string Method, string Path), OwnedResource> ReadBeyondOrganization = new()
    {
        [("GET", "/api/certificates/contracts/{id}")] = new("id", "contract",
            async (ett, organization, ct) => (await ett.GetContractsAsync(organization, ct)).Select(c => c.Id)),
        [("GET", "/api/reports/{reportId}/download")] = new("reportId", "report",
            async (ett, organization, ct) => (await ett.GetReportsAsync(organization, ct)).Select(r => r.Id)),
    };

    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];

    public static IReadOnlyList<EttOperation> All { get; } = Load();

    private static List<EttOperation> Load()
    {
        using var stream = typeof(EttThirdPartyOperations).Assembly.GetManifestResourceStream(ContractResource)
            ?? throw new InvalidOperationException($"Embedded resource {ContractResource} is missing from the gateway assembly.");
        var contract = JsonNode.Parse(stream)!.AsObject();
        var operations = new List<EttOperation>();
        foreach (var (path, item) in contract["paths"]!.AsObject())
        {
            foreach (var (method, node) in item!.AsObject().Where(o => Methods.Contains(o.Key)))
            {
                if (node?["x-ett-policy"]?.GetValue<string>() != "FrontendOr3rdParty" || node["x-ett-in-developer-portal"]?.GetValue<bool>() != true)
                    continue;
                var verb = method.ToUpperInvariant();
                var permission = Writes.TryGetValue((verb, path), out var listed) ? listed
                    : verb == "GET" ? CallerPolicies.Read
                    // A new write in ETT's contract needs a decision, not a guess.
                    : throw new InvalidOperationException($"ETT's contract has {verb} {path}, which the passthrough has no permission for.");
                var scoped = node["parameters"]?.AsArray().Any(p => p?["$ref"]?.GetValue<string>() == OrganizationParameterRef) == true;
                // Without organizationId an operation answers for the whole client (e.g. every consent): all or nothing.
                operations.Add(new EttOperation(verb, path, permission, scoped ? OrganizationSource.Query : OrganizationSource.Every,
                    ReadBeyondOrganization.GetValueOrDefault((verb, path))));
            }
        }
        return operations;
    }
}
