using System.Text.Json;
using Ett.Gateway.Upstream;

namespace Ett.Gateway.Tests.Upstream;

/// <summary>Planning reads ETT's certificates without their attributes, but for isTrial as ETT spells it.</summary>
public sealed class EttPlannableCertificateTests
{
    private const string Certificate = """
        {"federatedStreamId":{"registry":"Energinet.dk","streamId":"5a4d0000-0000-4000-8000-00000000c001"},"quantity":1200,
         "start":1764547200,"end":1764550800,"gridArea":"DK1","certificateType":"Production"ATTRIBUTES}
        """;

    [Theory]
    [InlineData(""", "attributes":{"fuelCode":"F01","isTrial":"true","energyTag_GcIssueMarketZone":"DK1"}""", true)]
    [InlineData(""", "attributes":{"isTrial":"True"}""", true)]
    [InlineData(""", "attributes":{"isTrial":"false","assetId":"571313000000000001"}""", false)]
    [InlineData(""", "attributes":{"nested":{"isTrial":"true"},"list":["isTrial","true"]}""", false)]
    [InlineData(""", "attributes":{}""", false)]
    [InlineData(""", "attributes":null""", false)]
    [InlineData("", false)]
    public void IsTrial_is_read_from_the_attributes_and_everything_else_in_them_is_skipped(string attributes, bool isTrial)
    {
        var certificate = JsonSerializer.Deserialize<EttPlannableCertificate>(Certificate.Replace("ATTRIBUTES", attributes), EttRequest.Json)!;

        Assert.Equal(isTrial, certificate.IsTrial);
        Assert.Equal(new EttFederatedStreamId("Energinet.dk", Guid.Parse("5a4d0000-0000-4000-8000-00000000c001")), certificate.FederatedStreamId);
        Assert.Equal((1200L, 1764547200L, 1764550800L, "DK1", "Production"),
            (certificate.Quantity, certificate.Start, certificate.End, certificate.GridArea, certificate.CertificateType));
    }

    [Fact]
    public async Task A_page_read_from_a_stream_in_small_pieces_keeps_every_certificate_and_its_isTrial()
    {
        var items = Enumerable.Range(0, 300).Select(i => Certificate.Replace("ATTRIBUTES",
            $$$""", "attributes":{"fuelCode":"F01{{{i}}}","isTrial":"{{{(i % 3 == 0 ? "true" : "false")}}}","energyTag_ProductionDeviceLocation":"{{{new string('x', i)}}}"}"""));
        var page = $$$"""{"result":[{{{string.Join(",", items)}}}],"metadata":{"count":300,"offset":0,"limit":300,"total":300}}""";
        var options = new JsonSerializerOptions(EttRequest.Json) { DefaultBufferSize = 64 };

        var read = (await JsonSerializer.DeserializeAsync<EttPage<EttPlannableCertificate>>(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(page)), options))!;

        Assert.Equal(300, read.Items.Count);
        Assert.Equal(100, read.Items.Count(c => c.IsTrial));
        Assert.True(read.Items[3].IsTrial);
    }
}
