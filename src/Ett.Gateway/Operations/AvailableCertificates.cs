using Ett.Gateway.Operations.Store;
using Ett.Gateway.Upstream;

namespace Ett.Gateway.Operations;

/// <summary>A certificate with the quantity the gateway may still plan with.</summary>
internal sealed record AvailableCertificate(EttCertificate Certificate, long AvailableWh)
{
    public CertificateRef Ref => CertificateRef.From(Certificate.FederatedStreamId);

    public bool IsTrial => Certificate.Attributes?.GetValueOrDefault("isTrial") is { } trial && trial.Equals("true", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Available certificates as planners must see them: ETT's list, oldest first with a total order (so planning is
/// deterministic), less what the gateway's own unfinished legs will take. ETT reserves a transfer's quantity only
/// when it processes the request in the background, so right after a 202 the certificate still looks available.
/// </summary>
internal sealed class AvailableCertificates(EttClient ett, IOperationStore journal)
{
    private const int PageSize = 1000;
    private const int OpenOperationsConsidered = 500;

    public async Task<IReadOnlyList<AvailableCertificate>> ListAsync(
        Guid organizationId, string type, DateTimeOffset? from, DateTimeOffset? to, string? gridArea, CancellationToken cancellationToken)
    {
        var certificates = new List<EttCertificate>();
        for (var skip = 0; ; skip += PageSize)
        {
            var page = await ett.GetCertificatesAsync(organizationId,
                new EttCertificateQuery(type, from?.ToUnixTimeSeconds(), to?.ToUnixTimeSeconds(), PageSize, skip), cancellationToken);
            certificates.AddRange(page.Items);
            if (page.Items.Count < PageSize) break;
        }

        var reserved = await ReservedAsync(organizationId, cancellationToken);
        return
        [
            .. certificates
                .Where(c => c.CertificateType.Equals(type, StringComparison.OrdinalIgnoreCase)
                    && (gridArea is null || c.GridArea.Equals(gridArea, StringComparison.OrdinalIgnoreCase)))
                .OrderBy(c => c.Start).ThenBy(c => c.End)
                .ThenBy(c => c.FederatedStreamId.Registry, StringComparer.Ordinal).ThenBy(c => c.FederatedStreamId.StreamId)
                .Select(c => new AvailableCertificate(c, c.Quantity - reserved.GetValueOrDefault(CertificateRef.From(c.FederatedStreamId))))
                .Where(c => c.AvailableWh > 0),
        ];
    }

    /// <summary>
    /// Quantity per certificate that open operations will still move. A submitted transfer counts until the worker saw
    /// it finish (ETT may already have deducted it: planning errs towards 422, never towards a failing POST); a
    /// submitted claim does not, as ETT reserves claims during the POST.
    /// </summary>
    public async Task<Dictionary<CertificateRef, long>> ReservedAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        var reserved = new Dictionary<CertificateRef, long>();
        foreach (var status in new[] { OperationStatus.Accepted, OperationStatus.Running })
        {
            foreach (var operation in await journal.ListOperationsAsync(organizationId, status, OpenOperationsConsidered, cancellationToken))
            {
                foreach (var leg in operation.Legs.Where(leg => !OperationStatusRules.IsFinal(leg.Status)
                    && (operation.Kind == OperationKind.Transfer || leg.Status != LegStatus.Submitted)))
                {
                    foreach (var certificate in new[] { leg.ProductionCertificate, leg.ConsumptionCertificate }.OfType<CertificateRef>())
                        reserved[certificate] = reserved.GetValueOrDefault(certificate) + leg.QuantityWh;
                }
            }
        }
        return reserved;
    }
}
