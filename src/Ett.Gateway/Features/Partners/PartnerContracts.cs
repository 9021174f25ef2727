using Ett.Gateway.Validation;
using FluentValidation;

namespace Ett.Gateway.Features.Partners;

/// <summary>
/// Register a transfer receiver: either <c>partnerOrganizationId</c> (an organization that consented to the gateway's
/// ETT client) or <c>walletReference</c> (what an external partner's wallet issued for us).
/// </summary>
internal sealed record PartnerRegistration
{
    /// <summary>Shown in lists and sent to ETT as the external endpoint's text reference.</summary>
    public string? Name { get; init; }

    public Guid? PartnerOrganizationId { get; init; }

    public ReceivedWalletReference? WalletReference { get; init; }
}

/// <summary>ETT's WalletEndpointReference, as the partner's wallet issued it.</summary>
internal sealed record ReceivedWalletReference
{
    public int Version { get; init; }
    public string? Endpoint { get; init; }

    /// <summary>Base64.</summary>
    public string? PublicKey { get; init; }
}

internal sealed record PartnerView
{
    public required Guid PartnerId { get; init; }
    public required Guid OrganizationId { get; init; }
    public required string Name { get; init; }
    public Guid? PartnerOrganizationId { get; init; }

    /// <summary>ETT's receiverId for transfers to this partner.</summary>
    public required Guid ReceiverId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>For the API documentation.</summary>
    internal static readonly PartnerView Example = new()
    {
        PartnerId = new Guid("019ab5f1-7e20-7a3b-8c4d-5e6f7a8b9c0d"),
        OrganizationId = new Guid("5a4d0000-0000-4000-8000-000000000002"),
        Name = "Sandbox Energihandel ApS",
        PartnerOrganizationId = new Guid("5a4d0000-0000-4000-8000-000000000004"),
        ReceiverId = new Guid("2b7c4d10-5e8f-4a6b-9c1d-3e5f7a9b1c2d"),
        CreatedAt = new DateTimeOffset(2026, 11, 25, 11, 58, 0, TimeSpan.Zero),
    };

    public static PartnerView From(Partner partner) => new()
    {
        PartnerId = partner.PartnerId,
        OrganizationId = partner.OrganizationId,
        Name = partner.Name,
        PartnerOrganizationId = partner.PartnerOrganizationId,
        ReceiverId = partner.ReceiverId,
        CreatedAt = partner.CreatedAt,
    };
}

internal sealed record PartnerList(IReadOnlyList<PartnerView> Items);

internal sealed class PartnerRegistrationValidator : AbstractValidator<PartnerRegistration>
{
    public const int MaxNameLength = 200;

    public PartnerRegistrationValidator()
    {
        RuleFor(r => r.Name).NotEmpty().WithMessage("Required.").MaximumLength(MaxNameLength);
        RuleFor(r => r)
            .Must(r => r.PartnerOrganizationId is null != r.WalletReference is null)
            .OverridePropertyName("partnerOrganizationId")
            .WithMessage("Give exactly one of 'partnerOrganizationId' and 'walletReference'.");
        RuleFor(r => r.PartnerOrganizationId).Must(id => id != Guid.Empty).WithMessage("Must be a non-empty GUID.");
        RuleFor(r => r.WalletReference!).ChildRules(reference =>
        {
            reference.RuleFor(w => w.Version).GreaterThanOrEqualTo(1);
            reference.RuleFor(w => w.Endpoint)
                .Must(e => Uri.TryCreate(e, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
                .WithMessage("Must be the absolute URL the partner's wallet issued.");
            reference.RuleFor(w => w.PublicKey)
                .Must(k => !string.IsNullOrEmpty(k) && Convert.TryFromBase64String(k, new byte[k.Length], out _))
                .WithMessage("Must be the base64 public key the partner's wallet issued.");
        }).When(r => r.WalletReference is not null);
    }
}
