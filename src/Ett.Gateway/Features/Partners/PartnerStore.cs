using System.Data.Common;
using Ett.Gateway.Operations.Store;

namespace Ett.Gateway.Features.Partners;

/// <summary>A registered transfer receiver: ETT's receiverId, so transfers to it need no further ETT call.</summary>
internal sealed record Partner
{
    public required Guid PartnerId { get; init; }
    public required Guid OrganizationId { get; init; }
    public required string Name { get; init; }

    /// <summary>Set when the partner is an organization that consented to the gateway's ETT client.</summary>
    public Guid? PartnerOrganizationId { get; init; }

    public required Guid ReceiverId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Partners in the operations store's database (table <c>partners</c>, created by its migrations).</summary>
internal sealed class PartnerStore(SqlOperationsStore schema)
{
    private const string Columns = "partner_id, organization_id, name, partner_organization_id, receiver_id, created_at";

    /// <summary>
    /// Adds the partner, or returns the one already registered for the same partner organization (two requests racing
    /// to register it both created ETT endpoints; only the first is kept).
    /// </summary>
    public async Task<(Partner Partner, bool Added)> AddAsync(Partner partner, CancellationToken cancellationToken)
    {
        await using var connection = await schema.OpenForWritingAsync(cancellationToken);
        var inserted = await Sql.ExecuteAsync(connection, null, $"""
            INSERT INTO partners ({Columns}) VALUES (@partner, @organization, @name, @partnerOrganization, @receiver, @created)
            ON CONFLICT DO NOTHING
            """,
            [("partner", Sql.Text(partner.PartnerId)), ("organization", Sql.Text(partner.OrganizationId)), ("name", partner.Name),
             ("partnerOrganization", partner.PartnerOrganizationId is { } other ? Sql.Text(other) : null),
             ("receiver", Sql.Text(partner.ReceiverId)), ("created", Sql.Millis(partner.CreatedAt))],
            cancellationToken);
        if (inserted == 1) return (partner, true);
        var existing = await FindByOrganizationAsync(partner.OrganizationId, partner.PartnerOrganizationId!.Value, cancellationToken);
        return (existing!, false);
    }

    public async Task<Partner?> GetAsync(Guid organizationId, Guid partnerId, CancellationToken cancellationToken) =>
        (await QueryAsync("organization_id = @organization AND partner_id = @partner",
            [("organization", Sql.Text(organizationId)), ("partner", Sql.Text(partnerId))], cancellationToken)).SingleOrDefault();

    public async Task<Partner?> FindByOrganizationAsync(Guid organizationId, Guid partnerOrganizationId, CancellationToken cancellationToken) =>
        (await QueryAsync("organization_id = @organization AND partner_organization_id = @partnerOrganization",
            [("organization", Sql.Text(organizationId)), ("partnerOrganization", Sql.Text(partnerOrganizationId))], cancellationToken)).SingleOrDefault();

    public Task<List<Partner>> ListAsync(Guid organizationId, CancellationToken cancellationToken) =>
        QueryAsync("organization_id = @organization ORDER BY created_at, partner_id", [("organization", Sql.Text(organizationId))], cancellationToken);

    public async Task<bool> DeleteAsync(Guid organizationId, Guid partnerId, CancellationToken cancellationToken)
    {
        await using var connection = await schema.OpenForWritingAsync(cancellationToken);
        return await Sql.ExecuteAsync(connection, null, "DELETE FROM partners WHERE organization_id = @organization AND partner_id = @partner",
            [("organization", Sql.Text(organizationId)), ("partner", Sql.Text(partnerId))], cancellationToken) == 1;
    }

    private async Task<List<Partner>> QueryAsync(string condition, IEnumerable<(string, object?)> parameters, CancellationToken cancellationToken)
    {
        await using var connection = await schema.OpenAsync(cancellationToken);
        return await Sql.QueryAsync(connection, null, $"SELECT {Columns} FROM partners WHERE {condition}", parameters, Read, cancellationToken);
    }

    private static Partner Read(DbDataReader reader) => new()
    {
        PartnerId = Guid.Parse(reader.GetString(0)),
        OrganizationId = Guid.Parse(reader.GetString(1)),
        Name = reader.GetString(2),
        PartnerOrganizationId = reader.NullableGuid(3),
        ReceiverId = Guid.Parse(reader.GetString(4)),
        CreatedAt = Sql.Instant(reader.GetInt64(5)),
    };
}
