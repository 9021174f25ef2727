using Ett.Gateway.Features;
using Ett.Gateway.Callers;
using Ett.Gateway.Errors;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Upstream;
using Ett.Gateway.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ett.Gateway.Features.Contracts;

public static class ContractsApi
{
    private const string NotAllowedDescription =
        $"ETT lets only trial clients create or change contracts ({ProblemTypes.ContractNotAllowed}), or the organization has "
        + $"not consented ({ProblemTypes.NotConsented}), or the caller lacks the permission.";

    public static IServiceCollection AddContracts(this IServiceCollection services) =>
        services.AddSingleton<ContractRefusals>();

    /// <summary>List, read, create (activate a metering point) and end contracts.</summary>
    public static IEndpointRouteBuilder MapContracts(this IEndpointRouteBuilder app)
    {
        var contracts = app.MapOrganizationGroup("/contracts")
            .WithTags("Contracts")
            .WithRequestValidation()
            .ProducesUpstreamProblems();

        contracts.MapGet("", ListContracts)
            .RequireAuthorization(CallerPolicies.Read)
            .WithName("ListContracts")
            .WithSummary("Contracts")
            .WithDescription("The organization's contracts, past, current and future; `active` says whether one is in force now.")
            .WithResponseExample(StatusCodes.Status200OK, "The organization's contracts.", new ContractList { Contracts = [Example] });

        contracts.MapGet("/{contractId:guid}", GetContract)
            .RequireAuthorization(CallerPolicies.Read)
            .WithName("GetContract")
            .WithSummary("One contract")
            .WithDescription("One contract of the organization.")
            .WithProblemResponse(StatusCodes.Status404NotFound, $"The organization has no such contract ({ProblemTypes.NotFound}).")
            .WithResponseExample(StatusCodes.Status200OK, "The contract.", Example);

        contracts.MapPost("", CreateContract)
            .RequireAuthorization(CallerPolicies.Contracts)
            .WithName("CreateContract")
            .WithSummary("Activate a metering point")
            .WithDescription("Creates a contract, so ETT issues certificates for the metering point from `start` (today UTC "
                + "or later) until `end` (open-ended when absent). ETT allows this only to trial clients. The organization "
                + "needs a wallet in ETT.")
            .WithProblemResponse(StatusCodes.Status403Forbidden, NotAllowedDescription)
            .WithProblemResponse(StatusCodes.Status409Conflict,
                $"The metering point already has an active or overlapping contract ({ProblemTypes.ContractOverlap}) or "
                + $"cannot be used for issuing certificates ({ProblemTypes.MeteringPointCannotIssue}).")
            .WithResponseExample(StatusCodes.Status201Created, "The contract was created; `Location` names it.", Example with { Created = Example.Start });

        contracts.MapPatch("/{contractId:guid}", ChangeContractEnd)
            .RequireAuthorization(CallerPolicies.Contracts)
            .WithName("ChangeContractEnd")
            .WithSummary("Change when a contract ends")
            .WithDescription("Sets the contract's `end` (null: open-ended) and returns the changed contract. ETT allows this "
                + "only to trial clients. Two ETT calls: the organization's contracts are read first, so an unknown id, or one of another organization, is a 404.")
            .WithProblemResponse(StatusCodes.Status403Forbidden, NotAllowedDescription)
            .WithProblemResponse(StatusCodes.Status404NotFound, $"The organization has no such contract ({ProblemTypes.NotFound}).")
            .WithProblemResponse(StatusCodes.Status409Conflict,
                $"The new end makes the contract overlap another one of the metering point ({ProblemTypes.ContractOverlap}).")
            .WithResponseExample(StatusCodes.Status200OK, "The contract with its new end.", Example with { End = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero) });

        return app;
    }

    private static readonly Contract Example = new()
    {
        Id = new Guid("0f9a8d52-3c1e-4a36-9e0b-5d7c2b1a4e11"),
        Gsrn = "571313100000000011",
        Type = MeteringPoints.MeteringPointType.Production,
        Start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero),
        End = null,
        Created = new DateTimeOffset(2026, 10, 30, 9, 15, 0, TimeSpan.Zero),
        Technology = new() { AibFuelCode = "F01050100", AibTechCode = "T020001" },
        Active = true,
    };

    /// <summary>The organization's contracts.</summary>
    private static async Task<Ok<ContractList>> ListContracts(
        [AsParameters] OrganizationRoute route, EttClient ett, TimeProvider time, CancellationToken cancellationToken)
    {
        var contracts = await ett.GetContractsAsync(route.OrganizationId, cancellationToken);
        var now = time.GetUtcNow();
        return TypedResults.Ok(new ContractList { Contracts = [.. contracts.Select(c => c.ToContract(now))] });
    }

    /// <summary>One contract.</summary>
    private static async Task<Ok<Contract>> GetContract(
        [AsParameters] ContractRoute route, EttClient ett, TimeProvider time, CancellationToken cancellationToken)
    {
        var contract = await OwnedContractAsync(ett, route, cancellationToken);
        return TypedResults.Ok(contract.ToContract(time.GetUtcNow()));
    }

    /// <summary>
    /// The route's organization's contract, else 404. ETT's GET by id answers a contract of any organization in the
    /// token (energy-origin Query.API ContractsController.GetContract: GetById over AuthorizedOrganizationIds), its list
    /// only the owner's (GetAllContracts: GetByOwner(organizationId)), so the contract is looked up in the list.
    /// </summary>
    private static async Task<EttContract> OwnedContractAsync(EttClient ett, ContractRoute route, CancellationToken cancellationToken) =>
        (await ett.GetContractsAsync(route.OrganizationId, cancellationToken)).FirstOrDefault(c => c.Id == route.ContractId)
            ?? throw new GatewayProblemException(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not found",
                $"Organization {route.OrganizationId} has no contract {route.ContractId}.");

    /// <summary>Creates a contract for a metering point.</summary>
    private static async Task<Created<Contract>> CreateContract(
        [AsParameters] OrganizationRoute route, NewContract contract, EttClient ett, ContractRefusals refusals, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var organizationId = route.OrganizationId;
        IReadOnlyList<EttContract> created;
        try
        {
            created = await ett.CreateContractsAsync(organizationId,
                [new EttNewContract(contract.Gsrn!, contract.Start!.Value.ToUnixTimeSeconds(), contract.End?.ToUnixTimeSeconds())],
                cancellationToken);
        }
        catch (GatewayProblemException problem) when (problem.Status is StatusCodes.Status403Forbidden or StatusCodes.Status409Conflict
            || (problem.Type == ProblemTypes.UpstreamRejected && problem.Status == StatusCodes.Status400BadRequest))
        {
            throw await refusals.OfCreateAsync(organizationId, contract.Gsrn!, problem, cancellationToken);
        }

        var result = created.Single().ToContract(time.GetUtcNow());
        return TypedResults.Created($"/organizations/{organizationId}/contracts/{result.Id}", result);
    }

    /// <summary>Changes when a contract ends (ETT's PUT underneath).</summary>
    private static async Task<Ok<Contract>> ChangeContractEnd(
        [AsParameters] ContractRoute route, ContractChange change, EttClient ett, ContractRefusals refusals, TimeProvider time,
        CancellationToken cancellationToken)
    {
        // ETT's PUT answers an empty 200 and a 403 for a contract of another organization: reading it first turns an
        // unknown id, or another organization's, into a clear 404 and gives the changed contract to return.
        var contract = await OwnedContractAsync(ett, route, cancellationToken);
        var end = change.End?.ToUnixTimeSeconds();
        if (end is { } newEnd && newEnd <= contract.StartDate)
        {
            throw new GatewayProblemException(StatusCodes.Status400BadRequest, ProblemTypes.Validation, "The request is invalid")
            {
                Errors = new Dictionary<string, string[]>
                {
                    ["end"] = [$"Must be later than the contract's start ({DateTimeOffset.FromUnixTimeSeconds(contract.StartDate):O})."],
                },
            };
        }

        try
        {
            await ett.UpdateContractEndDatesAsync(route.OrganizationId, [new EttContractEndDate(contract.Id, end)], cancellationToken);
        }
        catch (GatewayProblemException problem) when (problem.Status is StatusCodes.Status403Forbidden or StatusCodes.Status409Conflict)
        {
            throw await refusals.OfChangeAsync(route.OrganizationId, problem, cancellationToken);
        }

        return TypedResults.Ok((contract with { EndDate = end }).ToContract(time.GetUtcNow()));
    }
}
