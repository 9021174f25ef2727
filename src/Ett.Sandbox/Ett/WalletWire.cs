using Ett.Sandbox.Ledger;

namespace Ett.Sandbox.Ett;

/// <summary>The vault's JSON shapes as the proxy passes them through (§2.5, §10): unix seconds, Wh, lowercase enums.</summary>
internal static class WalletWire
{
    public const int UnlimitedLimit = int.MaxValue;

    public static object StreamId(Certificate certificate) => new { registry = certificate.Registry, streamId = certificate.StreamId };

    public static string TypeName(SandboxCertificateType type) => type == SandboxCertificateType.Production ? "production" : "consumption";

    public static object Certificate(Holding holding) => new
    {
        federatedStreamId = StreamId(holding.Certificate),
        quantity = holding.Available,
        start = holding.Certificate.Start,
        end = holding.Certificate.End,
        gridArea = holding.Certificate.GridArea,
        certificateType = TypeName(holding.Certificate.Type),
        attributes = holding.Attributes,
    };

    public static object ClaimedCertificate(Wallet owner, Certificate certificate) => new
    {
        federatedStreamId = StreamId(certificate),
        start = certificate.Start,
        end = certificate.End,
        gridArea = certificate.GridArea,
        attributes = owner.Holdings.TryGetValue(certificate.StreamId, out var holding) ? holding.Attributes : certificate.ClearAttributes,
    };

    public static object Claim(ClaimRecord claim) => new
    {
        claimId = claim.Id,
        quantity = claim.Quantity,
        productionCertificate = ClaimedCertificate(claim.Owner, claim.Production),
        consumptionCertificate = ClaimedCertificate(claim.Owner, claim.Consumption),
        updatedAt = claim.UpdatedAt,
    };

    public static object Transfer(TransferRecord transfer) => new
    {
        federatedStreamId = StreamId(transfer.Certificate),
        receiverId = transfer.ReceiverId.ToString(),
        quantity = transfer.Quantity,
        start = transfer.Certificate.Start,
        end = transfer.Certificate.End,
        gridArea = transfer.Certificate.GridArea,
    };

    public static object Wallet(Wallet wallet) => new { id = wallet.Id, publicKey = wallet.PublicKey, disabledDate = (long?)null };

    /// <summary>Offset page: <c>total</c> ignores skip and limit; an omitted limit echoes as int.MaxValue.</summary>
    public static object Page<T>(IReadOnlyCollection<T> matching, int? skip, int? limit)
    {
        var page = matching.Skip(skip ?? 0).Take(limit ?? UnlimitedLimit).ToList();
        return new
        {
            result = page,
            metadata = new { count = page.Count, offset = skip ?? 0, limit = limit ?? UnlimitedLimit, total = matching.Count },
        };
    }

    /// <summary>Cursor page: <c>updatedAt</c> only echoes updatedSince (not a next cursor); <c>total</c> ignores updatedSince.</summary>
    public static object CursorPage<T>(IReadOnlyCollection<(T Item, long UpdatedAt)> matching, long? updatedSince, int? limit)
    {
        var page = matching
            .Where(m => updatedSince is null || m.UpdatedAt > updatedSince)
            .OrderBy(m => m.UpdatedAt)
            .Take(limit ?? UnlimitedLimit)
            .Select(m => m.Item)
            .ToList();
        return new
        {
            result = page,
            metadata = new { count = page.Count, updatedAt = updatedSince, limit = limit ?? UnlimitedLimit, total = matching.Count },
        };
    }
}
