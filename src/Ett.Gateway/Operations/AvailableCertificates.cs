using Ett.Gateway.Features.Paging;
using Ett.Gateway.Operations.Store;
using Ett.Gateway.Upstream;

namespace Ett.Gateway.Operations;

/// <summary>A certificate with the quantity the gateway may still plan with.</summary>
internal sealed record AvailableCertificate(EttPlannableCertificate Certificate, long AvailableWh)
{
    public CertificateRef Ref => CertificateRef.From(Certificate.FederatedStreamId);

    public bool IsTrial => Certificate.IsTrial;

    /// <summary>Less what the journal's open legs will still take (see <see cref="IOperationStore.ReserveAsync"/>).</summary>
    public AvailableCertificate Less(IReadOnlyDictionary<CertificateRef, long> reserved) =>
        this with { AvailableWh = AvailableWh - reserved.GetValueOrDefault(Ref) };
}

/// <summary>
/// Available certificates as planners must see them: ETT's list read tie-safe (ETT orders by end only, ties in any
/// order on each call), each certificate once, oldest first with a total order so that planning is deterministic.
/// The quantities are ETT's; the reservation subtracts what the gateway's own open legs will take
/// (<see cref="AvailableCertificate.Less"/>), under the organization's lock.
/// </summary>
internal sealed class AvailableCertificates(EttClient ett)
{
    private const int PageSize = 1000;

    /// <summary>A list that changed while it was read is read again, at most this often; the last read is then used, de-duplicated.</summary>
    private const int Reads = 3;

    public async Task<IReadOnlyList<AvailableCertificate>> ListAsync(
        Guid organizationId, string type, DateTimeOffset? from, DateTimeOffset? to, string? gridArea, CancellationToken cancellationToken)
    {
        IReadOnlyList<EttPlannableCertificate> certificates = [];
        for (var read = 1; read <= Reads; read++)
        {
            var (items, consistent) = await OffsetPager.ReadAllAsync(
                (skip, limit) => ett.GetPlannableCertificatesAsync(organizationId,
                    new EttCertificateQuery(type, from?.ToUnixTimeSeconds(), to?.ToUnixTimeSeconds(), limit, skip), cancellationToken),
                certificate => certificate.End, PageSize);
            var distinct = items.DistinctBy(c => CertificateRef.From(c.FederatedStreamId)).ToList();
            certificates = distinct;
            // A certificate seen twice means the offsets shifted under the read, so another may have been skipped.
            if (consistent && distinct.Count == items.Count) break;
        }

        return
        [
            .. certificates
                .Where(c => c.CertificateType.Equals(type, StringComparison.OrdinalIgnoreCase)
                    && (gridArea is null || c.GridArea.Equals(gridArea, StringComparison.OrdinalIgnoreCase)))
                .OrderBy(c => c.Start).ThenBy(c => c.End)
                .ThenBy(c => c.FederatedStreamId.Registry, StringComparer.Ordinal).ThenBy(c => c.FederatedStreamId.StreamId)
                .Select(c => new AvailableCertificate(c, c.Quantity))
                .Where(c => c.AvailableWh > 0),
        ];
    }
}
