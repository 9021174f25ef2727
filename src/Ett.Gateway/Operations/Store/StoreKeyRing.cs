using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Ett.Gateway.Operations.Store;

/// <summary>
/// ASP.NET Core Data Protection's key ring in the operations store (migration 6), so every gateway instance on the store
/// reads the keys any of them created (as <c>PersistKeysToDbContext</c> does with EF Core).
/// </summary>
internal sealed class StoreKeyRing(SqlOperationsStore schema, TimeProvider time) : IXmlRepository
{
    // IXmlRepository is synchronous; Data Protection calls it from no synchronization context, so waiting cannot deadlock.
    public IReadOnlyCollection<XElement> GetAllElements() => GetAllElementsAsync().GetAwaiter().GetResult();

    public void StoreElement(XElement element, string friendlyName) => StoreElementAsync(element, friendlyName).GetAwaiter().GetResult();

    private async Task<IReadOnlyCollection<XElement>> GetAllElementsAsync()
    {
        await using var connection = await schema.OpenAsync(CancellationToken.None);
        var rows = await Sql.QueryAsync(connection, null, "SELECT xml FROM data_protection_keys ORDER BY stored_at, element_id", [],
            reader => reader.GetString(0), CancellationToken.None);
        return [.. rows.Select(xml => XElement.Parse(xml))];
    }

    private async Task StoreElementAsync(XElement element, string friendlyName)
    {
        await using var connection = await schema.OpenForWritingAsync(CancellationToken.None);
        await Sql.ExecuteAsync(connection, null,
            "INSERT INTO data_protection_keys (element_id, friendly_name, xml, stored_at) VALUES (@id, @name, @xml, @at)",
            [("id", Guid.CreateVersion7(time.GetUtcNow()).ToString("D")), ("name", friendlyName),
             ("xml", element.ToString(SaveOptions.DisableFormatting)), ("at", Sql.Millis(time.GetUtcNow()))],
            CancellationToken.None);
    }
}
