using Ett.Gateway.Errors;
using Ett.Gateway.Upstream;

namespace Ett.Gateway.Features.Partners;

/// <summary>
/// Registers transfer receivers with ETT once and remembers their receiverId. ETT's flow spans both organizations: the
/// receiver's wallet issues a wallet endpoint reference, and the sender registers it as an external endpoint.
/// </summary>
internal sealed class PartnerRegistry(EttClient ett, PartnerStore partners, TimeProvider time)
{
    /// <summary>
    /// A partner organization that consented to the gateway's ETT client. Three ETT calls: GET the partner's wallet,
    /// POST an endpoint on it, POST that reference as an external endpoint of ours. None when already registered.
    /// </summary>
    public async Task<(Partner Partner, bool Created)> RegisterOrganizationAsync(
        Guid organizationId, Guid partnerOrganizationId, string name, CancellationToken cancellationToken)
    {
        if (await partners.FindByOrganizationAsync(organizationId, partnerOrganizationId, cancellationToken) is { } existing) return (existing, false);

        var wallet = await ett.GetWalletAsync(partnerOrganizationId, cancellationToken)
            ?? throw new GatewayProblemException(StatusCodes.Status422UnprocessableEntity, ProblemTypes.UpstreamRejected,
                "Partner has no wallet", $"ETT holds no wallet for organization {partnerOrganizationId}.");
        var reference = await ett.CreateWalletEndpointAsync(partnerOrganizationId, wallet.Id, cancellationToken);
        var receiverId = await ett.CreateExternalEndpointAsync(organizationId, reference, name, cancellationToken);
        return await partners.AddAsync(New(organizationId, name, partnerOrganizationId, receiverId), cancellationToken);
    }

    /// <summary>An external partner that sent us its wallet reference: one ETT call (POST external-endpoints).</summary>
    public async Task<Partner> RegisterReferenceAsync(Guid organizationId, string name, EttWalletReference reference, CancellationToken cancellationToken)
    {
        var receiverId = await ett.CreateExternalEndpointAsync(organizationId, reference, name, cancellationToken);
        return (await partners.AddAsync(New(organizationId, name, null, receiverId), cancellationToken)).Partner;
    }

    public Task<Partner?> FindAsync(Guid organizationId, Guid partnerId, CancellationToken cancellationToken) =>
        partners.GetAsync(organizationId, partnerId, cancellationToken);

    private Partner New(Guid organizationId, string name, Guid? partnerOrganizationId, Guid receiverId)
    {
        // Whole milliseconds, as stored: the registration answer and later reads show the same time.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
        return new Partner
        {
            PartnerId = Guid.CreateVersion7(now),
            OrganizationId = organizationId,
            Name = name,
            PartnerOrganizationId = partnerOrganizationId,
            ReceiverId = receiverId,
            CreatedAt = now,
        };
    }
}
