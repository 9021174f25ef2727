using Ett.Gateway.Features.Certificates;
using Ett.Gateway.Operations;
using Ett.Gateway.Validation;
using FluentValidation;

namespace Ett.Gateway.Features.Claims;

/// <summary>
/// Claim production against consumption, either one explicit pair (<c>productionCertificateId</c>,
/// <c>consumptionCertificateId</c>, <c>quantityWh</c>) or everything that matches in a period (<c>from</c>, <c>to</c>,
/// optional <c>gridArea</c>).
/// </summary>
internal sealed record ClaimRequest
{
    public CertificateId? ProductionCertificateId { get; init; }
    public CertificateId? ConsumptionCertificateId { get; init; }
    public long? QuantityWh { get; init; }

    /// <summary>Automatic: certificates starting at or after this instant.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Automatic: certificates ending at or before this instant.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Automatic: only this bidding zone (DK1, DK2).</summary>
    public string? GridArea { get; init; }

    internal bool IsExplicit => ProductionCertificateId is not null || ConsumptionCertificateId is not null || QuantityWh is not null;
}

internal sealed class ClaimRequestValidator : AbstractValidator<ClaimRequest>
{
    public ClaimRequestValidator()
    {
        When(r => r.IsExplicit, () =>
        {
            RuleFor(r => r.ProductionCertificateId).NotNull().WithMessage("Required with an explicit pair.");
            RuleFor(r => r.ConsumptionCertificateId).NotNull().WithMessage("Required with an explicit pair.");
            RuleFor(r => r.QuantityWh).NotNull().WithMessage("Required with an explicit pair.")
                .GreaterThan(0).WithMessage("Must be a positive number of Wh.")
                .LessThanOrEqualTo(uint.MaxValue).WithMessage("ETT takes at most 4294967295 Wh per claim.");
            RuleFor(r => r).Must(r => r.From is null && r.To is null && r.GridArea is null).OverridePropertyName("from")
                .WithMessage("Give either an explicit pair or a period (from, to, gridArea), not both.");
            RuleFor(r => r.ProductionCertificateId!).SetValidator(new CertificateIdValidator()).When(r => r.ProductionCertificateId is not null);
            RuleFor(r => r.ConsumptionCertificateId!).SetValidator(new CertificateIdValidator()).When(r => r.ConsumptionCertificateId is not null);
        }).Otherwise(() =>
        {
            RuleFor(r => r.From).NotNull().WithMessage("Required: give a period (from, to) or an explicit pair.");
            RuleFor(r => r.To).NotNull().WithMessage("Required: give a period (from, to) or an explicit pair.");
            RuleFor(r => r.From).Before(r => r.To);
            RuleFor(r => r.GridArea).GridArea();
        });
    }

    private sealed class CertificateIdValidator : AbstractValidator<CertificateId>
    {
        public CertificateIdValidator()
        {
            RuleFor(c => c.Registry).NotEmpty().WithMessage("Required.");
            RuleFor(c => c.StreamId).Must(s => s != Guid.Empty).WithMessage("Must be a non-empty GUID.");
        }
    }
}
