using Ett.Gateway.Features;
using System.ComponentModel;
using System.Security.Claims;
using Ett.Gateway.Callers;
using Ett.Gateway.Errors;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Upstream;
using Ett.Gateway.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ett.Gateway.Features.Partners;

public static class PartnersExtensions
{
    private const string NotGuid = $"organizationId or partnerId is not a GUID ({ProblemTypes.Validation}).";
    private const string PartnerIdDescription = "The partner's id, from its registration.";

    /// <summary>The partner registry and its store (the operations store's database).</summary>
    public static IServiceCollection AddPartners(this IServiceCollection services)
    {
        services.AddSingleton<PartnerStore>();
        services.AddSingleton<PartnerRegistry>();
        return services;
    }

    /// <summary><c>/organizations/{organizationId}/partners</c>: register, list, read and forget transfer receivers.</summary>
    public static IEndpointRouteBuilder MapPartners(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapOrganizationGroup("/partners")
            .WithTags("Partners")
            .WithRequestValidation();

        // Only registration calls ETT; the other endpoints read and write the gateway's own store.
        group.MapPost("", RegisterAsync)
            .RequireAuthorization(CallerPolicies.Transfer)
            .ProducesUpstreamProblems()
            .WithName("RegisterPartner")
            .WithSummary("Register a transfer partner")
            .WithDescription("With `partnerOrganizationId` (an organization that consented to the gateway's ETT client) the gateway makes three ETT calls: " +
                "GET the partner's wallet, POST a wallet endpoint on it, and POST that reference as an external endpoint of this organization. " +
                "With `walletReference` (issued by an external partner's wallet) it makes one: POST external-endpoints. " +
                "The receiver id is stored, so transfers to the partner make no further registration calls. " +
                "An organization already registered as a partner answers 409 with its `partnerId`.")
            .Produces<PartnerView>(StatusCodes.Status201Created)
            .WithResponseExample(StatusCodes.Status201Created, "The partner was registered; `Location` names it.", PartnerView.Example)
            .WithProblemResponse(StatusCodes.Status403Forbidden, $"The caller may not act for `partnerOrganizationId` ({ProblemTypes.Forbidden}).")
            .WithProblemResponse(StatusCodes.Status409Conflict, $"The organization is already a partner ({ProblemTypes.Conflict}); `partnerId` names it.")
            .WithProblemResponse(StatusCodes.Status422UnprocessableEntity,
                $"The partner is the organization itself ({ProblemTypes.Validation}) or has no wallet in ETT ({ProblemTypes.UpstreamRejected}).");

        group.MapGet("", ListAsync)
            .RequireAuthorization(CallerPolicies.Read)
            .WithName("ListPartners")
            .WithSummary("List transfer partners")
            .WithDescription("Every partner registered for the organization, oldest first. Served from the gateway's store; no ETT call.")
            .Produces<PartnerList>()
            .WithResponseExample(StatusCodes.Status200OK, "The organization's partners.", new PartnerList([PartnerView.Example]))
            .WithProblemResponse(StatusCodes.Status400BadRequest, NotGuid);

        group.MapGet("/{partnerId:guid}", GetAsync)
            .RequireAuthorization(CallerPolicies.Read)
            .WithName("GetPartner")
            .WithSummary("Get a transfer partner")
            .WithDescription("One registered partner with its ETT receiver id. Served from the gateway's store; no ETT call.")
            .Produces<PartnerView>()
            .WithResponseExample(StatusCodes.Status200OK, "The partner.", PartnerView.Example)
            .WithProblemResponse(StatusCodes.Status400BadRequest, NotGuid)
            .WithProblemResponse(StatusCodes.Status404NotFound, $"No such partner in this organization ({ProblemTypes.NotFound}).");

        group.MapDelete("/{partnerId:guid}", DeleteAsync)
            .RequireAuthorization(CallerPolicies.Transfer)
            .WithName("DeletePartner")
            .WithSummary("Forget a transfer partner")
            .WithDescription("Removes the partner from the gateway. ETT has no way to delete an external endpoint, so the receiver stays known to ETT; " +
                "transfers already made are unaffected.")
            .Produces(StatusCodes.Status204NoContent)
            .WithProblemResponse(StatusCodes.Status400BadRequest, NotGuid)
            .WithProblemResponse(StatusCodes.Status404NotFound, $"No such partner in this organization ({ProblemTypes.NotFound}).");

        return endpoints;
    }

    private static async Task<Results<Created<PartnerView>, ProblemHttpResult>> RegisterAsync(
        Guid organizationId, PartnerRegistration registration, PartnerRegistry registry, ClaimsPrincipal user, OrganizationAccess access,
        CancellationToken cancellationToken)
    {
        Partner partner;
        if (registration.PartnerOrganizationId is { } partnerOrganizationId)
        {
            // Registration writes on the partner's wallet too (a wallet endpoint), so the caller must hold both organizations.
            if (!access.Allows(user, partnerOrganizationId)) return OrganizationAccess.Refusal(partnerOrganizationId, "partnerOrganizationId");
            if (partnerOrganizationId == organizationId)
                // ETT refuses an external endpoint to the caller's own wallet ("Cannot create receiver deposit endpoint to self.").
                return TypedResults.Problem("An organization cannot be its own transfer partner.", statusCode: StatusCodes.Status422UnprocessableEntity,
                    title: "Partner is the organization itself", type: ProblemTypes.Validation);
            var (registered, created) = await registry.RegisterOrganizationAsync(organizationId, partnerOrganizationId, registration.Name!, cancellationToken);
            if (!created) return AlreadyRegistered(registered);
            partner = registered;
        }
        else
        {
            var reference = registration.WalletReference!;
            partner = await registry.RegisterReferenceAsync(organizationId, registration.Name!,
                new EttWalletReference(reference.Version, reference.Endpoint!, reference.PublicKey!), cancellationToken);
        }
        return TypedResults.Created($"/organizations/{organizationId}/partners/{partner.PartnerId}", PartnerView.From(partner));
    }

    private static ProblemHttpResult AlreadyRegistered(Partner partner) =>
        TypedResults.Problem($"Organization {partner.PartnerOrganizationId} is already registered as partner {partner.PartnerId}.",
            statusCode: StatusCodes.Status409Conflict, title: "Partner already registered", type: ProblemTypes.Conflict,
            extensions: new Dictionary<string, object?> { ["partnerId"] = partner.PartnerId });

    private static async Task<Ok<PartnerList>> ListAsync(Guid organizationId, PartnerStore partners, CancellationToken cancellationToken) =>
        TypedResults.Ok(new PartnerList([.. (await partners.ListAsync(organizationId, cancellationToken)).Select(PartnerView.From)]));

    private static async Task<Results<Ok<PartnerView>, ProblemHttpResult>> GetAsync(
        Guid organizationId, [Description(PartnerIdDescription)] Guid partnerId, PartnerStore partners, CancellationToken cancellationToken) =>
        await partners.GetAsync(organizationId, partnerId, cancellationToken) is { } partner
            ? TypedResults.Ok(PartnerView.From(partner))
            : NotFound(partnerId);

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        Guid organizationId, [Description(PartnerIdDescription)] Guid partnerId, PartnerStore partners, CancellationToken cancellationToken) =>
        await partners.DeleteAsync(organizationId, partnerId, cancellationToken) ? TypedResults.NoContent() : NotFound(partnerId);

    internal static ProblemHttpResult NotFound(Guid partnerId) =>
        TypedResults.Problem($"No partner {partnerId} in this organization.", statusCode: StatusCodes.Status404NotFound,
            title: "Partner not found", type: ProblemTypes.NotFound);
}
