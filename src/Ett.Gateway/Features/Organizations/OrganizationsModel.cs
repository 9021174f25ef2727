using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Ett.Gateway.Upstream;
using Ett.Gateway.Validation;
using FluentValidation;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Features.Organizations;

/// <summary>The organizations that consented to the gateway's ETT clients and that the caller may act for.</summary>
internal sealed record OrganizationList
{
    public required IReadOnlyList<ConsentedOrganization> Organizations { get; init; }
}

/// <summary>An organization that consented to one of the gateway's ETT clients.</summary>
internal sealed record ConsentedOrganization
{
    /// <summary>ETT's organization id: the <c>organizationId</c> of every other gateway route.</summary>
    public required Guid Id { get; init; }

    public required string? Name { get; init; }

    /// <summary>The organization's tax id (CVR number in Denmark), when ETT knows it.</summary>
    public required string? Tin { get; init; }

    /// <summary>Name of the configured ETT client (<c>Ett:Clients:{i}:Name</c>) the gateway uses for this organization.</summary>
    public required string EttClient { get; init; }
}

/// <summary>Where to send a user of an organization so it consents to the gateway's ETT client.</summary>
internal sealed record OnboardingLink
{
    /// <summary>ETT's consent page; after consenting, ETT sends the user to <c>redirectUrl</c>.</summary>
    public required string Url { get; init; }

    /// <summary>Name of the configured ETT client the organization will consent to.</summary>
    public required string EttClient { get; init; }
}

// Query names are spelled out so the OpenAPI document shows them as callers write them (binding ignores case anyway).
internal sealed record OnboardingLinkQuery(
    [FromQuery(Name = "redirectUrl")]
    [property: Required]
    [property: Description("Where ETT sends the user after consenting: an absolute https URL on the gateway's allow-list (Onboarding:AllowedRedirectUrls; same origin, path equal to or below an entry's).")]
    string? RedirectUrl,
    [FromQuery(Name = "language")]
    [property: Required]
    [property: Description("Language of ETT's consent page: `da` or `en`.")]
    string? Language,
    [FromQuery(Name = "client")]
    [property: Description("Name of the configured ETT client to consent to; the first configured client when absent.")]
    string? Client);

internal sealed class OnboardingLinkQueryValidator : AbstractValidator<OnboardingLinkQuery>
{
    public OnboardingLinkQueryValidator(IOptionsMonitor<OnboardingOptions> onboarding, IOptionsMonitor<EttOptions> ett)
    {
        RuleFor(q => q.RedirectUrl).Cascade(CascadeMode.Stop)
            .NotEmpty().WithMessage("Is required.")
            .AbsoluteHttpsUrl()
            .Must(url => onboarding.CurrentValue.Allows(new Uri(url!)))
            .WithMessage("Is not on the gateway's allow-list of redirect URLs (Onboarding:AllowedRedirectUrls).");
        RuleFor(q => q.Language).Cascade(CascadeMode.Stop)
            .NotEmpty().WithMessage("Is required.")
            .Must(language => language is "da" or "en").WithMessage("Must be 'da' or 'en'.");
        RuleFor(q => q.Client)
            .Must(name => name is null || ett.CurrentValue.EffectiveClients.Any(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
            .WithMessage("Is not the name of a configured ETT client.");
    }
}
