using Ett.Gateway.Operations.Store;
using Ett.Gateway.Upstream;

namespace Ett.Gateway.Operations;

/// <summary>The one step that changes ETT: POST a leg's transfer or claim and return ETT's request id.</summary>
internal interface IEttLegSender
{
    Task<Guid> PostAsync(Guid organizationId, OperationKind kind, PlannedLeg leg, CancellationToken cancellationToken);
}

internal sealed class EttLegSender(EttClient ett) : IEttLegSender
{
    public Task<Guid> PostAsync(Guid organizationId, OperationKind kind, PlannedLeg leg, CancellationToken cancellationToken)
    {
        // ETT takes request quantities as uint32; planners never make a leg larger than one certificate.
        var quantity = checked((uint)leg.QuantityWh);
        var production = leg.ProductionCertificate.ToEtt();
        return kind switch
        {
            OperationKind.Transfer => ett.PostTransferAsync(organizationId, production,
                leg.ReceiverId ?? throw new InvalidOperationException("A transfer leg has no receiver."), quantity, leg.HashedAttributes, cancellationToken),
            OperationKind.Claim => ett.PostClaimAsync(organizationId, production,
                leg.ConsumptionCertificate is { } consumption
                    ? consumption.ToEtt()
                    : throw new InvalidOperationException("A claim leg has no consumption certificate."),
                quantity, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }
}
