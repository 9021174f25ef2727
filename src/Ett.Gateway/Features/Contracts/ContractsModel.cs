using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Ett.Gateway.Features.MeteringPoints;
using Ett.Gateway.Upstream;
using Ett.Gateway.Validation;
using FluentValidation;

namespace Ett.Gateway.Features.Contracts;

/// <summary>The organization's contracts: past, current and future.</summary>
internal sealed record ContractList
{
    public required IReadOnlyList<Contract> Contracts { get; init; }
}

/// <summary>A contract: while it is in force, ETT issues certificates for the metering point's measurements.</summary>
internal sealed record Contract
{
    public required Guid Id { get; init; }

    /// <summary>The metering point's GSRN.</summary>
    public required string Gsrn { get; init; }

    /// <summary>The metering point's type; null when ETT did not say.</summary>
    public required MeteringPointType? Type { get; init; }

    public required DateTimeOffset Start { get; init; }

    /// <summary>Null: open-ended.</summary>
    public required DateTimeOffset? End { get; init; }

    public required DateTimeOffset Created { get; init; }

    /// <summary>AIB codes of the production technology; null for consumption.</summary>
    public required Technology? Technology { get; init; }

    /// <summary>Whether the contract is in force now (started, not ended).</summary>
    public required bool Active { get; init; }
}

/// <summary>Activates a metering point: ETT issues certificates for it from <c>start</c> until <c>end</c>.</summary>
internal sealed record NewContract
{
    /// <summary>The metering point's GSRN (18 digits); it must be the organization's and able to issue certificates.</summary>
    [Required]
    public string? Gsrn { get; init; }

    /// <summary>When issuing starts: today (UTC) or later; whole seconds (ETT keeps unix seconds).</summary>
    [Required]
    public DateTimeOffset? Start { get; init; }

    /// <summary>When issuing ends, after <c>start</c>; absent or null for open-ended.</summary>
    public DateTimeOffset? End { get; init; }
}

/// <summary>A new end for a contract.</summary>
internal sealed record ContractChange
{
    private readonly DateTimeOffset? _end;

    /// <summary>The new end, after the contract's start; null makes the contract open-ended. The member must be present.</summary>
    [Required]
    public DateTimeOffset? End
    {
        get => _end;
        init
        {
            _end = value;
            HasEnd = true;
        }
    }

    // System.Text.Json calls the setter for a member that is present, even as null: an empty body is not "open-ended".
    [JsonIgnore]
    public bool HasEnd { get; private init; }
}

internal sealed record OrganizationRoute(
    [property: Description("ETT's organization id (see GET /organizations).")]
    Guid OrganizationId);

internal sealed record ContractRoute(
    [property: Description("ETT's organization id (see GET /organizations).")]
    Guid OrganizationId,
    [property: Description("The contract's id.")]
    Guid ContractId);

internal sealed class OrganizationRouteValidator : AbstractValidator<OrganizationRoute>
{
    public OrganizationRouteValidator() => RuleFor(r => r.OrganizationId).NonEmptyGuid();
}

internal sealed class ContractRouteValidator : AbstractValidator<ContractRoute>
{
    public ContractRouteValidator()
    {
        RuleFor(r => r.OrganizationId).NonEmptyGuid();
        RuleFor(r => r.ContractId).NonEmptyGuid();
    }
}

internal sealed class NewContractValidator : AbstractValidator<NewContract>
{
    // Optional: the gateway registers a TimeProvider (AddUpstream), hosts that only validate requests need not.
    public NewContractValidator(TimeProvider? clock = null)
    {
        var time = clock ?? TimeProvider.System;
        RuleFor(c => c.Gsrn).Cascade(CascadeMode.Stop).NotEmpty().WithMessage("Is required.").Gsrn();
        RuleFor(c => c.Start).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("Is required.")
            // ETT refuses a start before today's UTC midnight.
            .Must(start => start >= new DateTimeOffset(time.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero))
            .WithMessage("Must be today (UTC) or later.")
            .WholeSeconds()
            .Before(c => c.End);
        RuleFor(c => c.End).WholeSeconds();
    }
}

internal sealed class ContractChangeValidator : AbstractValidator<ContractChange>
{
    public ContractChangeValidator()
    {
        RuleFor(c => c.HasEnd).Equal(true).OverridePropertyName(nameof(ContractChange.End))
            .WithMessage("Is required: the new end, or null for open-ended.");
        RuleFor(c => c.End).WholeSeconds();
    }
}

/// <summary>ETT's contract wire shape (unix seconds, PascalCase type) as callers see it.</summary>
internal static class ContractMapping
{
    public static Contract ToContract(this EttContract contract, DateTimeOffset now) => new()
    {
        Id = contract.Id,
        Gsrn = contract.Gsrn,
        Type = TypeOf(contract.MeteringPointType),
        Start = DateTimeOffset.FromUnixTimeSeconds(contract.StartDate),
        End = contract.EndDate is { } end ? DateTimeOffset.FromUnixTimeSeconds(end) : null,
        Created = DateTimeOffset.FromUnixTimeSeconds(contract.Created),
        Technology = Technology.From(contract.Technology),
        Active = contract.IsInForceAt(now),
    };

    public static bool IsInForceAt(this EttContract contract, DateTimeOffset now)
    {
        var seconds = now.ToUnixTimeSeconds();
        return contract.StartDate <= seconds && (contract.EndDate is not { } end || seconds < end);
    }

    /// <summary>ETT's <c>Production</c>/<c>Consumption</c>, in any casing; null for anything else.</summary>
    public static MeteringPointType? TypeOf(string? ettType) => ettType?.ToLowerInvariant() switch
    {
        "production" => MeteringPointType.Production,
        "consumption" => MeteringPointType.Consumption,
        _ => null,
    };
}
