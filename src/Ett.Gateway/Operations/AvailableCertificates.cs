using System.Collections.Concurrent;
using Ett.Gateway.Features.Paging;
using Ett.Gateway.Operations.Store;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Operations;

/// <summary>A certificate with the quantity the gateway may still plan with.</summary>
internal sealed record AvailableCertificate(EttPlannableCertificate Certificate, long AvailableWh)
{
    public CertificateRef Ref => CertificateRef.From(Certificate.FederatedStreamId);

    public bool IsTrial => Certificate.IsTrial;

    /// <summary>Less what the journal's open legs will still take (see <see cref="IOperationStore.ReserveAsync"/>).</summary>
    public AvailableCertificate Less(ReservedCertificates reserved) =>
        this with { AvailableWh = AvailableWh - reserved.Wh.GetValueOrDefault(Ref) };
}

/// <summary>
/// Certificates as one ETT read showed them, and when that read began: ETT may not show what happened after, so the
/// reservation must count every leg that was not final by then (<see cref="IOperationStore.ReserveAsync"/>).
/// <see cref="Reused"/>: the read had completed before it was asked for (<see cref="AvailableCertificates.OldestAsync"/>).
/// </summary>
internal sealed record CertificateRead(IReadOnlyList<AvailableCertificate> Certificates, DateTimeOffset ReadAt, bool Complete = true, bool Reused = false);

/// <summary>
/// Available certificates as planners must see them: ETT's list read tie-safe (ETT orders by end only, ties in any
/// order on each call), each certificate once, oldest first with a total order so that planning is deterministic.
/// The quantities are ETT's; the reservation subtracts what the gateway's own open legs will take
/// (<see cref="AvailableCertificate.Less"/>), under the organization's lock.
/// A request that finds the same list being read joins that read instead of starting another: it gets the read's start
/// as <see cref="CertificateRead.ReadAt"/>, which is what keeps the shared answer safe to plan with.
/// </summary>
internal sealed class AvailableCertificates(EttClient ett, TimeProvider time, IOptions<OperationsOptions> options)
{
    private const int PageSize = 1000;

    /// <summary>A list that changed while it was read is read again, at most this often; the last read is then used, de-duplicated.</summary>
    private const int Reads = 3;

    /// <summary>Bounds the recent reads kept for <see cref="OldestAsync"/> (each holds one ETT page).</summary>
    private const int MaxRecent = 1000;

    private readonly ConcurrentDictionary<ListKey, Lazy<Task<CertificateRead>>> _inFlight = new();
    private readonly ConcurrentDictionary<ListKey, (CertificateRead Read, DateTimeOffset CompletedAt)> _recent = new();

    /// <summary>The organization's available certificates of <paramref name="type"/> in the period, of <paramref name="gridArea"/> if given.</summary>
    public Task<CertificateRead> ListAsync(
        Guid organizationId, string type, DateTimeOffset? from, DateTimeOffset? to, string? gridArea, CancellationToken cancellationToken) =>
        SharedAsync(new ListKey(organizationId, type, from, to, null), gridArea, cancellationToken);

    /// <summary>
    /// As <see cref="ListAsync"/>, only the certificates that end first, at most <paramref name="count"/> in one ETT call
    /// (a prefix of ETT's order, so any plan made from it is sound); <see cref="CertificateRead.Complete"/> says whether
    /// that was the whole list.
    /// A read of the same certificates that completed less than <see cref="OperationsOptions.CertificateReadReuse"/> ago
    /// answers without an ETT call (<see cref="CertificateRead.Reused"/>): it is as safe to plan with as a joined read,
    /// since its <see cref="CertificateRead.ReadAt"/> stays the instant it began. It may miss certificates issued since,
    /// so a plan it refuses must be decided again on a fresh read.
    /// </summary>
    public async Task<CertificateRead> OldestAsync(
        Guid organizationId, string type, DateTimeOffset? from, DateTimeOffset? to, string? gridArea, int count, CancellationToken cancellationToken)
    {
        var key = new ListKey(organizationId, type, from, to, count);
        if (_recent.TryGetValue(key, out var recent) && time.GetUtcNow() - recent.CompletedAt < options.Value.CertificateReadReuse)
            return InGridArea(recent.Read with { Reused = true }, gridArea);
        return await SharedAsync(key, gridArea, cancellationToken);
    }

    private async Task<CertificateRead> SharedAsync(ListKey key, string? gridArea, CancellationToken cancellationToken)
    {
        // One caller giving up must not fail the read the others joined.
        var read = await _inFlight.GetOrAdd(key, k => new Lazy<Task<CertificateRead>>(() => ReadAsync(k))).Value.WaitAsync(cancellationToken);
        return InGridArea(read, gridArea);
    }

    private static CertificateRead InGridArea(CertificateRead read, string? gridArea) =>
        gridArea is null
            ? read
            : read with { Certificates = [.. read.Certificates.Where(c => c.Certificate.GridArea.Equals(gridArea, StringComparison.OrdinalIgnoreCase))] };

    private async Task<CertificateRead> ReadAsync(ListKey key)
    {
        var readAt = time.GetUtcNow();
        try
        {
            await Task.Yield();
            if (key.Oldest is not { } count) return new CertificateRead(Available(key, await ReadListAsync(key)), readAt);
            var page = await ett.GetPlannableCertificatesAsync(key.OrganizationId, Query(key, count, 0), CancellationToken.None);
            return Remember(key, new CertificateRead(Available(key, page.Items.DistinctBy(c => CertificateRef.From(c.FederatedStreamId))), readAt,
                Complete: page.Items.Count < count || page.Metadata?.Total <= page.Items.Count));
        }
        finally
        {
            _inFlight.TryRemove(key, out _);
        }
    }

    private CertificateRead Remember(ListKey key, CertificateRead read)
    {
        if (options.Value.CertificateReadReuse <= TimeSpan.Zero) return read;
        var now = time.GetUtcNow();
        if (_recent.Count >= MaxRecent)
        {
            foreach (var stale in _recent.Where(r => now - r.Value.CompletedAt >= options.Value.CertificateReadReuse)) _recent.TryRemove(stale);
            if (_recent.Count >= MaxRecent) _recent.Clear();
        }
        _recent[key] = (read, now);
        return read;
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
