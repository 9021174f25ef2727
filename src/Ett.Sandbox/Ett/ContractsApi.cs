using Ett.Sandbox.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ett.Sandbox.Ett;

/// <summary>ETT's certificates contracts (§2.3): create and edit are for trial clients only, all-or-nothing.</summary>
internal static class ContractsApi
{
    // Contract dates must be before year 10000.
    private const long MaxDate = 253402300800;

    public static void Map(IEndpointRouteBuilder ett)
    {
        var contracts = ett.MapGroup("/api/certificates/contracts").AddEndpointFilter(new EttGate(OrganizationCheck.Service));
        contracts.MapPost("", Create);
        contracts.MapGet("", List);
        contracts.MapGet("/{id}", Get);
        contracts.MapPut("", EditEndDates);
    }

    private static IResult Create(HttpContext http, SandboxState state)
    {
        var organizationId = EttGate.OrganizationOf(http);
        if (!EttGate.CallerOf(http).IsTrial)
        {
            return EttResults.Empty(StatusCodes.Status403Forbidden);
        }

        if (!BodyReader.TryRead<CreateContractsBody>(http, out var body, out var error))
        {
            return error;
        }

        lock (state.Sync)
        {
            var today = new DateTimeOffset(DateTimeOffset.FromUnixTimeSeconds(state.Now).UtcDateTime.Date).ToUnixTimeSeconds();
            if (Validate(http, body, today) is { } invalid)
            {
                return invalid;
            }

            var created = new List<Contract>();
            foreach (var request in body.Contracts!)
            {
                var point = state.Data.MeteringPoints.FirstOrDefault(p => p.Gsrn == request.Gsrn && p.OrganizationId == organizationId);
                if (point is null)
                {
                    return EttResults.Problem(http, StatusCodes.Status400BadRequest, "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                        "Bad Request", $"GSRN {request.Gsrn} was not found");
                }

                if (!point.CanBeUsedForIssuingCertificates)
                {
                    return EttResults.Validation(http, "gsrn", $"GSRN {request.Gsrn} cannot be used for issuing certificates", StatusCodes.Status409Conflict);
                }

                var start = request.StartDate!.Value;
                if (state.Data.Contracts.Concat(created).Any(c => c.Gsrn == request.Gsrn && c.Overlaps(start, request.EndDate)))
                {
                    return EttResults.Validation(http, "gsrn", $"GSRN {request.Gsrn} already has an active or overlapping contract", StatusCodes.Status409Conflict);
                }

                created.Add(new Contract
                {
                    Id = Guid.NewGuid(),
                    OrganizationId = organizationId,
                    Gsrn = point.Gsrn,
                    StartDate = start,
                    EndDate = request.EndDate,
                    Created = state.Now,
                    MeteringPointType = point.MeteringPointType,
                    Technology = point.MeteringPointType == "Production" ? point.Technology : null,
                });
            }

            // EO ContractServiceImpl.Create takes wallets.Result.First() and throws without a wallet: an empty 500.
            if (state.Data.WalletOf(organizationId) is null)
            {
                return EttResults.Empty(StatusCodes.Status500InternalServerError);
            }

            state.Data.Contracts.AddRange(created);
            return EttResults.Status(StatusCodes.Status201Created, new { result = created.Select(Wire).ToList() });
        }
    }

    private static IResult? Validate(HttpContext http, CreateContractsBody body, long today)
    {
        if (body.Contracts is not { Count: > 0 })
        {
            return EttResults.Validation(http, "Contracts", "The Contracts field is required.");
        }

        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < body.Contracts.Count; i++)
        {
            var contract = body.Contracts[i];
            if (contract.Gsrn is null || contract.Gsrn.Length != 18 || !contract.Gsrn.All(char.IsAsciiDigit))
            {
                errors[$"Contracts[{i}].Gsrn"] = ["Invalid GSRN. Must be 18 digits."];
            }

            if (contract.StartDate is not { } start || start < today || start >= MaxDate)
            {
                errors[$"Contracts[{i}].StartDate"] = ["StartDate must be today or later and before year 10000."];
            }
            else if (contract.EndDate is { } end && (end < start || end >= MaxDate))
            {
                errors[$"Contracts[{i}].EndDate"] = ["EndDate must be after StartDate."];
            }
        }

        return errors.Count == 0 ? null : EttResults.Validation(http, errors);
    }

    private static IResult List(HttpContext http, SandboxState state)
    {
        var organizationId = EttGate.OrganizationOf(http);
        lock (state.Sync)
        {
            return EttResults.Ok(new { result = state.Data.Contracts.Where(c => c.OrganizationId == organizationId).Select(Wire).ToList() });
        }
    }

    private static IResult Get(HttpContext http, SandboxState state, string id)
    {
        var organizationId = EttGate.OrganizationOf(http);
        lock (state.Sync)
        {
            var contract = Guid.TryParse(id, out var contractId)
                ? state.Data.Contracts.FirstOrDefault(c => c.Id == contractId && c.OrganizationId == organizationId)
                : null;
            return contract is null ? EttResults.NotFound(http) : EttResults.Ok(Wire(contract));
        }
    }

    private static IResult EditEndDates(HttpContext http, SandboxState state)
    {
        var organizationId = EttGate.OrganizationOf(http);
        if (!EttGate.CallerOf(http).IsTrial)
        {
            return EttResults.Empty(StatusCodes.Status403Forbidden);
        }

        if (!BodyReader.TryRead<EditContractsBody>(http, out var body, out var error))
        {
            return error;
        }

        if (body.Contracts is not { Count: > 0 } || body.Contracts.Any(c => c.Id is null))
        {
            return EttResults.Validation(http, "Contracts", "Every contract needs an Id.");
        }

        lock (state.Sync)
        {
            var changes = new List<(Contract Contract, long? EndDate)>();
            foreach (var edit in body.Contracts)
            {
                var contract = state.Data.Contracts.FirstOrDefault(c => c.Id == edit.Id);
                if (contract is null)
                {
                    return EttResults.NotFound(http);
                }

                if (contract.OrganizationId != organizationId)
                {
                    return EttResults.Empty(StatusCodes.Status403Forbidden);
                }

                if (edit.EndDate is { } end && end < contract.StartDate)
                {
                    return EttResults.Validation(http, "EndDate", "EndDate must be after StartDate");
                }

                if (state.Data.Contracts.Any(c => c != contract && c.Gsrn == contract.Gsrn && c.Overlaps(contract.StartDate, edit.EndDate)))
                {
                    return EttResults.Validation(http, "EndDate", $"Contract {contract.Id} would overlap another contract", StatusCodes.Status409Conflict);
                }

                changes.Add((contract, edit.EndDate));
            }

            changes.ForEach(c => c.Contract.EndDate = c.EndDate);
            return Results.Ok();
        }
    }

    private static object Wire(Contract contract) => new
    {
        id = contract.Id,
        gsrn = contract.Gsrn,
        startDate = contract.StartDate,
        endDate = contract.EndDate,
        created = contract.Created,
        meteringPointType = contract.MeteringPointType,
        technology = contract.Technology is { } t ? new { aibFuelCode = t.AibFuelCode, aibTechCode = t.AibTechCode } : null,
    };

    private sealed class CreateContractsBody
    {
        public List<CreateContract>? Contracts { get; init; }
    }

    private sealed class CreateContract
    {
        public string? Gsrn { get; init; }
        public long? StartDate { get; init; }
        public long? EndDate { get; init; }
    }

    private sealed class EditContractsBody
    {
        public List<EditContract>? Contracts { get; init; }
    }

    private sealed class EditContract
    {
        public Guid? Id { get; init; }
        public long? EndDate { get; init; }
    }
}
