using System.Text.Json;
using Ett.Gateway.Features.Transfers;

namespace Ett.Gateway.Tests.Features.Transfers;

public sealed class HashedAttributesTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static HashedAttributes Read(string json) => JsonSerializer.Deserialize<HashedAttributes>(json, Web)!;

    [Fact]
    public void None_shares_nothing_and_all_shares_every_production_hashed_attribute()
    {
        Assert.Empty(Read("\"none\"").ForEtt());
        Assert.Equal(
            ["energyTag_ProductionDeviceUniqueIdentification", "energyTag_ProductionDeviceLocation", "energyTag_ProductionDeviceCapacity"],
            Read("\"ALL\"").ForEtt());
    }

    [Fact]
    public void Listed_names_in_any_case_become_etts_exact_names_in_etts_order()
    {
        var listed = Read("""["energytag_productiondevicecapacity", "ENERGYTAG_PRODUCTIONDEVICEUNIQUEIDENTIFICATION"]""");

        Assert.Equal(["energyTag_ProductionDeviceUniqueIdentification", "energyTag_ProductionDeviceCapacity"], listed.ForEtt());
        Assert.Empty(listed.UnknownNames);
    }

    [Fact]
    public void Names_ett_would_silently_ignore_are_reported_unknown()
    {
        // The guide's own example: "AssetId" is a consumption attribute, and transfers move production certificates.
        Assert.Equal(["AssetId", "gsrn"], Read("""["AssetId", "gsrn"]""").UnknownNames);
    }

    [Theory]
    [InlineData("\"some\"")]
    [InlineData("42")]
    [InlineData("{}")]
    public void Anything_but_none_all_or_a_list_does_not_bind(string json) =>
        Assert.Throws<JsonException>(() => Read(json));

    [Theory]
    [InlineData("\"none\"", "\"none\"")]
    [InlineData("\"All\"", "\"all\"")]
    [InlineData("""["a","b"]""", """["a","b"]""")]
    public void Writes_back_as_the_caller_chose_so_fingerprints_compare_choices(string json, string written) =>
        Assert.Equal(written, JsonSerializer.Serialize(Read(json), Web));
}
