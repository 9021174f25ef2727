using System.Collections.Concurrent;
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
/// Certificates as one ETT read showed them, and when that read began: ETT may not show what happened after, so the
/// reservation must count every leg that was not final by then (<see cref="IOperationStore.ReserveAsync"/>).
/// </summary>
internal sealed record CertificateRead(IReadOnlyList<AvailableCertificate> Certificates, DateTimeOffset ReadAt, bool Complete = true);

/// <summary>
/// Available certificates as planners must see them: ETT's list read tie-safe (ETT orders by end only, ties in any
/// order on each call), each certificate once, oldest first with a total order so that planning is deterministic.
/// The quantities are ETT's; the reservation subtracts what the gateway's own open legs will take
/// (<see cref="AvailableCertificate.Less"/>), under the organization's lock.
/// A request that finds the same list being read joins that read instead of starting another: it gets the read's start
/// as <see cref="CertificateRead.ReadAt"/>, which is what keeps the shared answer safe to plan with.
/// </summary>
internal sealed class AvailableCertificates(EttClient ett, TimeProvider time)
{
    private const int PageSize = 1000;

    /// <summary>A list that changed while it was read is read again, at most this often; the last read is then used, de-duplicated.</summary>
    private const int Reads = 3;

    private readonly ConcurrentDictionary<ListKey, Lazy<Task<CertificateRead>>> _inFlight = new();

    /// <summary>The organization's available certificates of <paramref name="type"/> in the period, of <paramref name="gridArea"/> if given.</summary>
    public Task<CertificateRead> ListAsync(
        Guid organizationId, string type, DateTimeOffset? from, DateTimeOffset? to, string? gridArea, CancellationToken cancellationToken) =>
        SharedAsync(new ListKey(organizationId, type, from, to, null), gridArea, cancellationToken);

    /// <summary>
    /// As <see cref="ListAsync"/>, only the certificates that end first, at most <paramref name="count"/> in one ETT call
    /// (a prefix of ETT's order, so any plan made from it is sound); <see cref="CertificateRead.Complete"/> says whether
    /// that was the whole list.
    /// </summary>
    public Task<CertificateRead> OldestAsync(
        Guid organizationId, string type, DateTimeOffset? from, DateTimeOffset? to, string? gridArea, int count, CancellationToken cancellationToken) =>
        SharedAsync(new ListKey(organizationId, type, from, to, count), gridArea, cancellationToken);

    private async Task<CertificateRead> SharedAsync(ListKey key, string? gridArea, CancellationToken cancellationToken)
    {
        // One caller giving up must not fail the read the others joined.
        var read = await _inFlight.GetOrAdd(key, k => new Lazy<Task<CertificateRead>>(() => ReadAsync(k))).Value.WaitAsync(cancellationToken);
        return gridArea is null
            ? read
            : read with { Certificates = [.. read.Certificates.Where(c => c.Certificate.GridArea.Equals(gridArea, StringComparison.OrdinalIgnoreCase))] };
    }

    private async Task<CertificateRead> ReadAsync(ListKey key)
    {
        var readAt = time.GetUtcNow();
        try
        {
            await Task.Yield();
            if (key.Oldest is not { } count) return new CertificateRead(Available(key, await ReadListAsync(key)), readAt);
            var page = await ett.GetPlannableCertificatesAsync(key.OrganizationId, Query(key, count, 0), CancellationToken.None);
            return new CertificateRead(Available(key, page.Items.DistinctBy(c => CertificateRef.From(c.FederatedStreamId))), readAt,
                Complete: page.Items.Count < count || page.Metadata?.Total <= page.Items.Count);
        }
        finally
        {
            _inFlight.TryRemove(key, out _);
        }
    }

    private async Task<IReadOnlyList<EttPlannableCertificate>> ReadListAsync(ListKey key)
    {
        IReadOnlyList<EttPlannableCertificate> certificates = [];
        for (var read = 1; read <= Reads; read++)
        {
            var (items, consistent) = await OffsetPager.ReadAllAsync(
                (skip, limit) => ett.GetPlannableCertificatesAsync(key.OrganizationId, Query(key, limit, skip), CancellationToken.None),
                certificate => certificate.End, PageSize);
            var distinct = items.DistinctBy(c => CertificateRef.From(c.FederatedStreamId)).ToList();
            certificates = distinct;
            // A certificate seen twice means the offsets shifted under the read, so another may have been skipped.
            if (consistent && distinct.Count == items.Count) break;
        }
        return certificates;
    }

    private static EttCertificateQuery Query(ListKey key, int limit, int skip) =>
        new(key.Type, key.From?.ToUnixTimeSeconds(), key.To?.ToUnixTimeSeconds(), limit, skip);

    private static IReadOnlyList<AvailableCertificate> Available(ListKey key, IEnumerable<EttPlannableCertificate> certificates) =>
        [
            .. certificates
                .Where(c => c.CertificateType.Equals(key.Type, StringComparison.OrdinalIgnoreCase))
                .OrderBy(c => c.Start).ThenBy(c => c.End)
                .ThenBy(c => c.FederatedStreamId.Registry, StringComparer.Ordinal).ThenBy(c => c.FederatedStreamId.StreamId)
                .Select(c => new AvailableCertificate(c, c.Quantity))
                .Where(c => c.AvailableWh > 0),
        ];

    private readonly record struct ListKey(Guid OrganizationId, string Type, DateTimeOffset? From, DateTimeOffset? To, int? Oldest);
}
