using Ett.Gateway.Operations.Store;
using Ett.Gateway.Upstream;

namespace Ett.Gateway.Features.Certificates;

/// <summary>A certificate's id in ETT: its registry and stream id (ETT's federatedStreamId).</summary>
internal sealed record CertificateId
{
    public required string Registry { get; init; }
    public required Guid StreamId { get; init; }

    internal static CertificateId From(EttFederatedStreamId id) => new() { Registry = id.Registry, StreamId = id.StreamId };

    internal static CertificateId From(CertificateRef certificate) => new() { Registry = certificate.Registry, StreamId = certificate.StreamId };

    internal CertificateRef ToRef() => new(Registry, StreamId);
}

/// <summary>An available certificate: the quantity not yet reserved, claimed or transferred.</summary>
internal sealed record Certificate
{
    public required CertificateId Id { get; init; }

    /// <summary><c>production</c> or <c>consumption</c>.</summary>
    public required string Type { get; init; }

    /// <summary>Bidding zone: DK1 or DK2.</summary>
    public required string GridArea { get; init; }

    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }
    public required long QuantityWh { get; init; }

    /// <summary>ETT's attributes: clear text, plus the hashed ones (e.g. the GSRN) whose value this wallet holds.</summary>
    public required IReadOnlyDictionary<string, string> Attributes { get; init; }
}
