using System.Security.Claims;
using Ett.Gateway.Callers;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Upstream;
using Ett.Gateway.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Features.Organizations;

public static class OrganizationsApi
{
    private const string Tag = "Organizations";

    /// <summary>Consent onboarding settings (<c>Onboarding:*</c>), validated at start-up.</summary>
    public static IServiceCollection AddOrganizations(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OnboardingOptions>().Bind(configuration.GetSection(OnboardingOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OnboardingOptions>, OnboardingOptionsValidator>();
        return services;
    }

    /// <summary><c>GET /organizations</c> and <c>GET /organizations/onboarding-link</c>.</summary>
    public static IEndpointRouteBuilder MapOrganizations(this IEndpointRouteBuilder app)
    {
        // Read suffices for the onboarding link: it grants nothing by itself (the organization's own user consents in
        // ETT's UI), and the apps that show it to customers are often read-only.
        var organizations = app.MapGroup("/organizations")
            .WithTags(Tag)
            .RequireAuthorization(CallerPolicies.Read)
            .WithRequestValidation();

        organizations.MapGet("", ListOrganizations)
            .WithName("ListOrganizations")
            .WithSummary("Organizations that consented")
            .WithDescription("The organizations that consented to any of the gateway's configured ETT clients and that the "
                + "caller may act for (Callers:Organizations), each with the ETT client that serves it. ETT's consent lists are "
                + "read once per configured client and cached briefly (Ett:ConsentsCacheDuration).")
            .ProducesUpstreamProblems()
            // Its only input is the X-Correlation-ID header every operation takes.
            .ProducesValidationProblem()
            .WithResponseExample(StatusCodes.Status200OK, "The consented organizations the caller may act for.", new OrganizationList
            {
                Organizations =
                [
                    new() { Id = new("5a4d0000-0000-4000-8000-000000000002"), Name = "Sandbox Vindkraft A/S", Tin = "39315042", EttClient = "default" },
                ],
            });

        organizations.MapGet("/onboarding-link", GetOnboardingLink)
            .WithName("GetOnboardingLink")
            .WithSummary("Consent onboarding link")
            .WithDescription("ETT's consent page for the gateway's ETT client, on the host of the configured ETT environment "
                + "(Ett:BaseUrl: demo or production). A user of the organization signs in with MitID there, consents, and "
                + "is sent to `redirectUrl`; the organization then appears in GET /organizations. The embedded sandbox has "
                + "no onboarding page: there the link points at the sandbox host and consent is granted by seed or test.")
            .WithResponseExample(StatusCodes.Status200OK, "The onboarding link.", new OnboardingLink
            {
                Url = "https://demo.energytrackandtrace.dk/da/onboarding?client-id=1b8e5f0a-0000-4000-8000-00000000c11e&redirect-url=https%3A%2F%2Fapp.example.com%2Fonboarding%2Fdone",
                EttClient = "default",
            });

        return app;
    }

    /// <summary>Organizations that consented to the gateway's ETT clients.</summary>
    private static async Task<Ok<OrganizationList>> ListOrganizations(
        ClaimsPrincipal user, EttConsents consents, IOptionsMonitor<EttOptions> ett, OrganizationAccess access, CancellationToken cancellationToken)
    {
        var lists = await Task.WhenAll(ett.CurrentValue.EffectiveClients.Select(client => consents.GetAsync(client.Name, cancellationToken).AsTask()));
        var organizations = lists
            .SelectMany(list => list.Consents.Select(consent => (Consent: consent, list.ClientName)))
            // An organization that consented to several clients is served by the first configured one (EttCredentials.ClientForAsync).
            .DistinctBy(entry => entry.Consent.OrganizationId)
            .Where(entry => access.Allows(user, entry.Consent.OrganizationId))
            .Select(entry => new ConsentedOrganization
            {
                Id = entry.Consent.OrganizationId,
                Name = entry.Consent.OrganizationName,
                Tin = entry.Consent.Tin,
                EttClient = entry.ClientName,
            })
            .ToList();
        return TypedResults.Ok(new OrganizationList { Organizations = organizations });
    }

    /// <summary>ETT's consent onboarding URL for the gateway's ETT client.</summary>
    private static Ok<OnboardingLink> GetOnboardingLink([AsParameters] OnboardingLinkQuery query, IOptionsMonitor<EttOptions> ett)
    {
        var options = ett.CurrentValue;
        var client = options.EffectiveClients.FirstOrDefault(c => c.Name.Equals(query.Client, StringComparison.OrdinalIgnoreCase))
            ?? options.EffectiveClients[0];
        // The consent page lives on ETT's own host (energytrackandtrace.dk or demo.…), not below the API's base path.
        var host = options.BaseUrl!.GetLeftPart(UriPartial.Authority);
        var url = $"{host}/{query.Language}/onboarding?client-id={Uri.EscapeDataString(client.ClientId)}"
            + $"&redirect-url={Uri.EscapeDataString(query.RedirectUrl!)}";
        return TypedResults.Ok(new OnboardingLink { Url = url, EttClient = client.Name });
    }
}
