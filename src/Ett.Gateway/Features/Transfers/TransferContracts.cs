using Ett.Gateway.Features.Certificates;
using Ett.Gateway.Operations;
using Ett.Gateway.Validation;
using FluentValidation;

namespace Ett.Gateway.Features.Transfers;

/// <summary>Send a quantity of the organization's available production certificates to a partner.</summary>
internal sealed record TransferRequest
{
    /// <summary>A registered partner (<c>/partners</c>).</summary>
    public Guid? PartnerId { get; init; }

    /// <summary>Instead of <c>partnerId</c>: an organization that consented to the gateway's ETT client, registered as a partner on first use.</summary>
    public Guid? PartnerOrganizationId { get; init; }

    public long QuantityWh { get; init; }

    /// <summary>Only certificates starting at or after this instant.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only certificates ending at or before this instant.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Only certificates of this bidding zone (DK1, DK2).</summary>
    public string? GridArea { get; init; }

    /// <summary>Only these certificates.</summary>
    public IReadOnlyList<CertificateId>? CertificateIds { get; init; }

    /// <summary><c>"none"</c> (default), <c>"all"</c>, or a list of hashed attribute names to share with the receiver.</summary>
    public HashedAttributes? HashedAttributes { get; init; }
}

internal sealed class TransferRequestValidator : AbstractValidator<TransferRequest>
{
    public const int MaxCertificateIds = 1000;

    public TransferRequestValidator()
    {
        RuleFor(r => r)
            .Must(r => r.PartnerId is null != r.PartnerOrganizationId is null)
            .OverridePropertyName("partnerId")
            .WithMessage("Give exactly one of 'partnerId' and 'partnerOrganizationId'.");
        RuleFor(r => r.QuantityWh).GreaterThan(0).WithMessage("Must be a positive number of Wh.");
        RuleFor(r => r.From).Before(r => r.To);
        RuleFor(r => r.PartnerOrganizationId).Must(id => id != Guid.Empty).WithMessage("Must be a non-empty GUID.");
        RuleFor(r => r.GridArea).GridArea();
        RuleFor(r => r.CertificateIds).Must(ids => ids is null || ids.Count is > 0 and <= MaxCertificateIds)
            .WithMessage($"Give 1 to {MaxCertificateIds} certificate ids, or leave it out.");
        RuleForEach(r => r.CertificateIds).ChildRules(id =>
        {
            id.RuleFor(c => c.Registry).NotEmpty().WithMessage("Required.");
            id.RuleFor(c => c.StreamId).Must(s => s != Guid.Empty).WithMessage("Must be a non-empty GUID.");
        });
        RuleFor(r => r.HashedAttributes)
            .Must(h => h is null || !h.UnknownNames.Any())
            .WithMessage(h => $"Unknown hashed attribute(s) {string.Join(", ", h.HashedAttributes!.UnknownNames)}; " +
                $"production certificates have {string.Join(", ", HashedAttributes.Production)}.");
    }
}
