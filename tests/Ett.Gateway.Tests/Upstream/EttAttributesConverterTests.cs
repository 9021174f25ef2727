using System.Text.Json;
using Ett.Gateway.Upstream;

namespace Ett.Gateway.Tests.Upstream;

/// <summary>
/// The pooled attribute reader (claims' certificates, and the certificates page where it cannot write ETT's bytes) must
/// read exactly what System.Text.Json's own dictionary reading reads, in the same order.
/// </summary>
public class EttAttributesConverterTests
{
    private const string Certificate = """
        {"federatedStreamId":{"registry":"Energinet.dk","streamId":"0b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21"},"quantity":5,"start":1,"end":2,
         "gridArea":"DK1","certificateType":"production","attributes":ATTRIBUTES}
        """;

    public static TheoryData<string> Attributes =>
    [
        """{"energyTag_GcIssuer":"Energinet","energyTag_GcIssueMarketZone":"DK1","isTrial":"false"}""",
        """{"escaped\u0041name":"va\"lue\\n","unicode":"Århus Ø","emoji":"\uD83D\uDE00"}""",
        """{"energyTag_ProductionDeviceLocation":"Vindmøllevej 1, 8000 Aarhus C — a value far longer than the pool takes, longer than sixty-four bytes","a":"x"}""",
        """{"a-name-that-is-longer-than-sixty-four-characters-and-so-never-pooled-by-the-reader":"1"}""",
        """{"nothing":null,"empty":""}""",
        """{"escaped":"\u0041","plain":"A","\u0041":"name escaped","A":"plain name"}""",
        """{"twice":"first","twice":"second"}""",
        """{"a":"1","twice":"first","b":"2","twice":"second","c":"3"}""",
        """{"twice":"first","tw\u0069ce":"escaped"}""",
        """{}""",
        "null",
    ];

    [Theory]
    [MemberData(nameof(Attributes))]
    public void Reads_what_the_default_reader_reads(string attributes)
    {
        var json = Certificate.Replace("ATTRIBUTES", attributes);

        var pooled = JsonSerializer.Deserialize<EttClaimedCertificate>(json, EttRequest.Json)!;
        var plain = JsonSerializer.Deserialize<Dictionary<string, string>?>(attributes, EttRequest.Json);

        // In order: the page writes them out as ETT sent them.
        Assert.Equal(plain?.ToList(), pooled.Attributes?.ToList());
        foreach (var (name, value) in plain ?? [])
        {
            Assert.Equal(value, pooled.Attributes![name]);
            Assert.True(pooled.Attributes.ContainsKey(name));
        }
        Assert.Equal(plain?.Count, pooled.Attributes?.Count);
    }

    [Theory]
    [MemberData(nameof(Attributes))]
    public void Writes_what_the_default_writer_writes(string attributes)
    {
        var pooled = JsonSerializer.Deserialize<EttClaimedCertificate>(Certificate.Replace("ATTRIBUTES", attributes), EttRequest.Json)!;
        var plain = JsonSerializer.Deserialize<Dictionary<string, string>?>(attributes, EttRequest.Json);

        Assert.Equal(JsonSerializer.Serialize(plain, EttRequest.Json), JsonSerializer.Serialize(pooled.Attributes, EttRequest.Json));
        Assert.Equal(JsonSerializer.Serialize<IReadOnlyDictionary<string, string>?>(plain, EttRequest.Json),
            JsonSerializer.Serialize<IReadOnlyDictionary<string, string>?>(pooled.Attributes, EttRequest.Json));
    }

    [Fact]
    public void More_attributes_than_the_read_buffer_holds_are_all_read()
    {
        var many = Enumerable.Range(0, 100).ToDictionary(i => $"attribute{i}", i => $"value{i}");
        var json = Certificate.Replace("ATTRIBUTES", JsonSerializer.Serialize(many));

        var first = JsonSerializer.Deserialize<EttClaimedCertificate>(json, EttRequest.Json)!.Attributes!;
        var next = JsonSerializer.Deserialize<EttClaimedCertificate>(Certificate.Replace("ATTRIBUTES", """{"only":"one"}"""), EttRequest.Json)!.Attributes!;

        Assert.Equal(many.ToList(), first.ToList());
        Assert.Equal([new("only", "one")], next.ToList());
    }

    [Theory]
    [InlineData("""{"capacity":5}""")]
    [InlineData("""{"nested":{"a":"b"}}""")]
    [InlineData("""["a","b"]""")]
    [InlineData("\"text\"")]
    public void Refuses_what_is_not_an_object_of_strings(string attributes)
    {
        var json = Certificate.Replace("ATTRIBUTES", attributes);

        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<EttClaimedCertificate>(json, EttRequest.Json));
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Dictionary<string, string>>(attributes, EttRequest.Json));
    }

    [Fact]
    public void Names_and_values_repeated_by_certificates_are_one_string()
    {
        var json = Certificate.Replace("ATTRIBUTES", """{"energyTag_GcIssuer":"Energinet","energyTag_Sponsored":"No","energyTag_ProductionDeviceUniqueIdentification":"571313000000000017","energyTag_ProductionDeviceLocation":"Vindm\u00f8llevej 1, 8000 Aarhus C"}""");

        var first = JsonSerializer.Deserialize<EttClaimedCertificate>(json, EttRequest.Json)!.Attributes!;
        var second = JsonSerializer.Deserialize<EttClaimedCertificate>(json, EttRequest.Json)!.Attributes!;

        Assert.Same(first.Keys.First(), second.Keys.First());
        Assert.Same(first["energyTag_GcIssuer"], second["energyTag_GcIssuer"]);
        Assert.Same(first["energyTag_Sponsored"], second["energyTag_Sponsored"]);
        Assert.Same(first["energyTag_ProductionDeviceUniqueIdentification"], second["energyTag_ProductionDeviceUniqueIdentification"]);
        Assert.Equal("Vindmøllevej 1, 8000 Aarhus C", first["energyTag_ProductionDeviceLocation"]);
        Assert.Same(first["energyTag_ProductionDeviceLocation"], second["energyTag_ProductionDeviceLocation"]);
    }

    [Fact]
    public void Writes_as_it_reads()
    {
        var json = Certificate.Replace("ATTRIBUTES", """{"energyTag_GcIssuer":"Energinet","b":null}""");
        var certificate = JsonSerializer.Deserialize<EttClaimedCertificate>(json, EttRequest.Json)!;

        var written = JsonSerializer.Serialize(certificate, EttRequest.Json);

        Assert.Contains("\"attributes\":{\"energyTag_GcIssuer\":\"Energinet\",\"b\":null}", written);
    }
}
