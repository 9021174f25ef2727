using Ett.Gateway.Errors;
using Ett.Gateway.Upstream;

namespace Ett.Gateway.Features.Contracts;

/// <summary>
/// Says why ETT refused a contract write. ETT answers both "no consent" and "not a trial client" with the same empty 403,
/// and both "overlapping contract" and "cannot issue" with a 409 whose reason sits in a generic validation body.
/// </summary>
internal sealed class ContractRefusals(EttClient ett, EttCredentials credentials, EttConsents consents)
{
    public async Task<GatewayProblemException> OfCreateAsync(Guid organizationId, string gsrn, GatewayProblemException problem, CancellationToken cancellationToken)
    {
        switch (problem.Status)
        {
            case StatusCodes.Status403Forbidden:
                return await OfForbiddenAsync(organizationId, problem, cancellationToken);
            case StatusCodes.Status409Conflict:
                // Only on this failure path: one more ETT call finds out which of the two conflicts it was.
                var point = (await ett.GetMeteringPointsAsync(organizationId, cancellationToken)).Items.FirstOrDefault(p => p.Gsrn == gsrn);
                return point is { CanBeUsedForIssuingCertificates: false }
                    ? Refusal(problem, StatusCodes.Status409Conflict, ProblemTypes.MeteringPointCannotIssue,
                        "The metering point cannot issue certificates",
                        $"ETT cannot issue certificates for metering point {gsrn} (only consumption, and solar or wind production in operation), so it refuses a contract for it.")
                    : Overlap(problem, $"Metering point {gsrn} already has an active contract or one that overlaps the requested period.");
            default:
                // ETT's only plain 400 here: "GSRN <x> was not found", the organization does not own the metering point.
                return new GatewayProblemException(StatusCodes.Status400BadRequest, ProblemTypes.Validation, "The request is invalid", problem.Detail)
                {
                    Errors = new Dictionary<string, string[]> { ["gsrn"] = ["Is not a metering point of the organization in ETT."] },
                };
        }
    }

    public async Task<GatewayProblemException> OfChangeAsync(Guid organizationId, GatewayProblemException problem, CancellationToken cancellationToken) =>
        problem.Status == StatusCodes.Status403Forbidden
            ? await OfForbiddenAsync(organizationId, problem, cancellationToken)
            : Overlap(problem, "The new end makes the contract overlap another contract of the same metering point.");

    /// <summary>A consented organization can only have been refused for the client's status: ETT's trial-only rule.</summary>
    private async Task<GatewayProblemException> OfForbiddenAsync(Guid organizationId, GatewayProblemException problem, CancellationToken cancellationToken)
    {
        var client = await credentials.ClientForAsync(organizationId, cancellationToken);
        if (!(await consents.GetAsync(client, cancellationToken)).Includes(organizationId)) return problem;
        return Refusal(problem, StatusCodes.Status403Forbidden, ProblemTypes.ContractNotAllowed,
            "Only trial ETT clients may create or change contracts",
            $"The organization has consented to the gateway's ETT client '{client}', but ETT lets only trial clients create or change contracts.");
    }

    private static GatewayProblemException Overlap(GatewayProblemException problem, string detail) =>
        Refusal(problem, StatusCodes.Status409Conflict, ProblemTypes.ContractOverlap, "The contract would overlap another contract", detail);

    private static GatewayProblemException Refusal(GatewayProblemException upstream, int status, string type, string title, string detail)
    {
        var problem = new GatewayProblemException(status, type, title, detail, upstream);
        foreach (var (key, value) in upstream.Extensions) problem.Extensions[key] = value;
        return problem;
    }
}
