using System.Text.Json;
using Ett.Gateway.Features.Certificates;
using Ett.Gateway.Operations.Store;

namespace Ett.Gateway.Operations;

/// <summary>A transfer or claim as callers follow it: one leg per ETT request.</summary>
internal sealed record OperationView
{
    public required Guid OperationId { get; init; }
    public required Guid OrganizationId { get; init; }

    /// <summary><c>transfer</c> or <c>claim</c>.</summary>
    public required string Kind { get; init; }

    /// <summary><c>accepted</c>, <c>running</c>, <c>completed</c>, <c>failed</c> or <c>partiallyCompleted</c>.</summary>
    public required string Status { get; init; }

    public required long RequestedWh { get; init; }

    /// <summary>Sum of the legs ETT reported completed.</summary>
    public required long CompletedWh { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The <c>X-Correlation-ID</c> of the request that started the operation (absent for operations from before it was kept).</summary>
    public string? CorrelationId { get; init; }

    public required IReadOnlyList<LegView> Legs { get; init; }

    public static OperationView From(OperationRecord operation) => new()
    {
        OperationId = operation.Id,
        OrganizationId = operation.OrganizationId,
        Kind = Name(operation.Kind),
        Status = Name(operation.Status),
        RequestedWh = operation.RequestedWh,
        CompletedWh = operation.CompletedWh,
        CreatedAt = operation.CreatedAt,
        UpdatedAt = operation.UpdatedAt,
        CorrelationId = operation.CorrelationId,
        Legs = [.. operation.Legs.Select(LegView.From)],
    };

    internal static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    /// <summary>A two-certificate transfer of 5 MWh whose first leg ETT completed (for the API documentation).</summary>
    internal static readonly OperationView Example = new()
    {
        OperationId = new Guid("019ab5f2-3c10-7d4e-9a51-2f0c8e6b1d20"),
        OrganizationId = new Guid("5a4d0000-0000-4000-8000-000000000002"),
        Kind = "transfer",
        Status = "running",
        RequestedWh = 5_000_000,
        CompletedWh = 3_200_000,
        CreatedAt = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero),
        UpdatedAt = new DateTimeOffset(2026, 11, 25, 12, 0, 16, TimeSpan.Zero),
        CorrelationId = "0193f2a4c10b7d4e9a512f0c8e6b1d20",
        Legs =
        [
            ExampleLeg(0, "8c0e4b8e-1f6a-4c1e-9d1e-0b7f3e2a4c11", 3_200_000, "completed"),
            ExampleLeg(1, "8c0e4b8e-1f6a-4c1e-9d1e-0b7f3e2a4c12", 1_800_000, "submitted"),
        ],
    };

    private static LegView ExampleLeg(int sequence, string streamId, long quantityWh, string status) => new()
    {
        Sequence = sequence,
        Certificate = new CertificateId { Registry = "Energinet.dk", StreamId = new Guid(streamId) },
        ReceiverId = new Guid("2b7c4d10-5e8f-4a6b-9c1d-3e5f7a9b1c2d"),
        QuantityWh = quantityWh,
        HashedAttributes = [],
        EttRequestId = new Guid($"7d3f9a20-0000-4000-8000-00000000000{sequence}"),
        Status = status,
    };
}

/// <summary>One ETT transfer or claim request of an operation.</summary>
internal sealed record LegView
{
    public required int Sequence { get; init; }

    /// <summary>The production certificate transferred or claimed.</summary>
    public required CertificateId Certificate { get; init; }

    /// <summary>Claims only: the consumption certificate the production is claimed against.</summary>
    public CertificateId? ConsumptionCertificate { get; init; }

    /// <summary>Transfers only: ETT's receiverId of the partner.</summary>
    public Guid? ReceiverId { get; init; }

    public required long QuantityWh { get; init; }

    /// <summary>Transfers only: the hashed attribute names shared with the receiver, as ETT spells them.</summary>
    public IReadOnlyList<string>? HashedAttributes { get; init; }

    /// <summary>ETT's transferRequestId or claimRequestId, once ETT accepted the request.</summary>
    public Guid? EttRequestId { get; init; }

    /// <summary><c>planned</c>, <c>intentRecorded</c>, <c>submitted</c>, <c>completed</c>, <c>failed</c> or <c>unknown</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Why the leg is where it is (e.g. ETT's rejection), when known.</summary>
    public string? Detail { get; init; }

    public static LegView From(OperationLeg leg) => new()
    {
        Sequence = leg.Sequence,
        Certificate = CertificateId.From(leg.ProductionCertificate),
        ConsumptionCertificate = leg.ConsumptionCertificate is { } consumption ? CertificateId.From(consumption) : null,
        ReceiverId = leg.ReceiverId,
        QuantityWh = leg.QuantityWh,
        HashedAttributes = leg.ReceiverId is null ? null : leg.HashedAttributes,
        EttRequestId = leg.EttRequestId,
        Status = OperationView.Name(leg.Status),
        Detail = leg.Detail,
    };
}

/// <summary>A page of operations, newest first.</summary>
internal sealed record OperationList(IReadOnlyList<OperationView> Items);
