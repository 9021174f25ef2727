using System.Text;
using System.Text.Json;
using Ett.Gateway.Upstream;

namespace Ett.Gateway.Tests.Upstream;

/// <summary>
/// ETT's certificates answer read in one pass over its whole body, the attributes kept as ETT's bytes: what the page
/// writes must be the data System.Text.Json reads from the same answer (a dictionary per certificate: ETT's order, a
/// name sent twice at its first place with its last value), and a body the serializer refused is refused.
/// </summary>
public class EttCertificateListReaderTests
{
    private const string Certificate = """
        {"federatedStreamId":{"registry":"Energinet.dk","streamId":"0b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21"},"quantity":5,"start":1700000000,"end":1700003600,
         "gridArea":"DK1","certificateType":"production","attributes":ATTRIBUTES}
        """;

    private static string Answer(params string[] attributes) =>
        $$$"""{"result":[{{{string.Join(",", attributes.Select(a => Certificate.Replace("ATTRIBUTES", a)))}}}],"metadata":{"count":{{{attributes.Length}}},"offset":0,"limit":50,"total":216}}""";

    private static EttPage<EttCertificate> Read(string json) => Read(Encoding.UTF8.GetBytes(json));

    private static EttPage<EttCertificate> Read(byte[] utf8)
    {
        // In a larger array, as the pool hands them out: the reader must keep to the body's length.
        var body = new byte[utf8.Length + 100];
        utf8.CopyTo(body, 0);
        body.AsSpan(utf8.Length).Fill((byte)'x');
        return EttCertificateListReader.Read(body, utf8.Length)!;
    }

    private static string Written(EttRawAttributes attributes)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) attributes.WriteTo(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The members as written, in order and with any name written twice kept twice.</summary>
    private static List<KeyValuePair<string, string?>> Members(string json) =>
        [.. JsonDocument.Parse(json).RootElement.EnumerateObject().Select(m => new KeyValuePair<string, string?>(m.Name, m.Value.GetString()))];

    public static TheoryData<string> Attributes =>
    [
        """{"energyTag_GcIssuer":"Energinet","energyTag_GcIssueMarketZone":"DK1","isTrial":"false"}""",
        """{"escaped\u0041name":"va\"lue\\n","unicode":"Århus Ø","emoji":"\uD83D\uDE00"}""",
        """{"address":"Vindm\u00f8llevej 1, 8000 \u00C5rhus","html":"<b>&amp;</b> 'quoted' + \u002B","slash":"a\/b"}""",
        """{"energyTag_ProductionDeviceLocation":"Vindmøllevej 1, 8000 Aarhus C — a value far longer than the pool takes, longer than sixty-four bytes","a":"x"}""",
        """{"a-name-that-is-longer-than-sixty-four-characters-and-so-never-pooled-by-the-reader":"1"}""",
        """{"nothing":null,"empty":"","":"empty name"}""",
        """{"escaped":"\u0041","plain":"A","\u0041":"name escaped","A":"plain name"}""",
        """{"twice":"first","twice":"second"}""",
        """{"a":"1","twice":"first","b":"2","twice":"second","c":"3"}""",
        """{"twice":"first","tw\u0069ce":"escaped"}""",
        """{"Twice":"upper","twice":"lower"}""",
        // Same length, same first and last eight bytes: told apart by the full comparison.
        """{"energyTag_AAAAxxAAAA_suffix12":"1","energyTag_AAAAyyAAAA_suffix12":"2","a":"3","b":"4","energyTag_AAAAxxAAAA_suffix12":"5"}""",
        """{"energyTag_AAAAxxAAAA_suffix12":"1","energyTag_AAAAyyAAAA_suffix12":"2"}""",
        "{ \"spaced\" : \"out\" ,\n   \"lines\" : \"too\" }",
        """{}""",
        "null",
    ];

    [Theory]
    [MemberData(nameof(Attributes))]
    public void Writes_the_attributes_the_serializer_reads(string attributes)
    {
        var page = Read(Answer(attributes));

        var expected = JsonSerializer.Deserialize<Dictionary<string, string?>?>(attributes, EttRequest.Json) ?? [];
        var certificate = Assert.Single(page.Items);
        Assert.Equal(expected.ToList(), Members(Written(certificate.Attributes)));
    }

    [Theory]
    [InlineData("""{"energyTag_GcIssuer":"Energinet","isTrial":"false"}""")]
    [InlineData("""{"address":"Vindm\u00f8llevej 1","html":"<b>&amp;</b> \u002B","raw":"Århus Ø","emoji":"\uD83D\uDE00","slash":"a\/b"}""")]
    [InlineData("""{"nothing":null,"empty":""}""")]
    [InlineData("""{"energyTag_AAAAxxAAAA_suffix12":"1","energyTag_AAAAyyAAAA_suffix12":"2"}""")]
    public void Attributes_without_repeated_or_escaped_names_are_written_as_ett_sent_them(string attributes)
    {
        var certificate = Assert.Single(Read(Answer(attributes)).Items);

        Assert.Equal(attributes, Written(certificate.Attributes));
    }

    [Theory]
    [InlineData("""{"twice":"first","twice":"second"}""", """{"twice":"second"}""")]
    [InlineData("""{"tw\u0069ce":"first","a":"\u00f8"}""", """{"twice":"first","a":"\u00F8"}""")]
    public void Repeated_or_escaped_names_are_written_as_today(string attributes, string written)
    {
        var certificate = Assert.Single(Read(Answer(attributes)).Items);

        Assert.Equal(written, Written(certificate.Attributes));
    }

    [Fact]
    public void More_attributes_than_are_fingerprinted_are_all_read_in_order()
    {
        var many = Enumerable.Range(0, 100).ToDictionary(i => $"attribute{i}", i => (string?)$"value{i}");
        var twice = JsonSerializer.Serialize(many).TrimEnd('}') + ""","attribute7":"again"}""";

        var page = Read(Answer(JsonSerializer.Serialize(many), twice));

        Assert.Equal(many.ToList(), Members(Written(page.Items[0].Attributes)));
        many["attribute7"] = "again";
        Assert.Equal(many.ToList(), Members(Written(page.Items[1].Attributes)));
    }

    [Fact]
    public void Reads_the_certificate_and_the_page_as_the_serializer_does()
    {
        var page = Read(Answer("""{"a":"b"}""", "null"));

        Assert.Equal(new EttPageInfo(2, 0, 50, 216), page.Metadata);
        Assert.Equal(2, page.Items.Count);
        var certificate = page.Items[0];
        Assert.Equal(("Energinet.dk", new Guid("0b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21")), (certificate.Registry, certificate.StreamId));
        Assert.Equal((5L, 1700000000L, 1700003600L), (certificate.Quantity, certificate.Start, certificate.End));
        Assert.Equal(("DK1", "production"), (certificate.GridArea, certificate.CertificateType));
        Assert.Equal("{}", Written(page.Items[1].Attributes));
    }

    [Fact]
    public void Member_names_in_other_casing_numbers_in_strings_and_unknown_members_read_as_the_serializer_reads_them()
    {
        var page = Read("""
            {"Metadata":{"Total":"7","extra":[1,2]},"unknown":{"result":[]},
             "RESULT":[{"FederatedStreamId":{"Registry":"Energinet.dk","STREAMID":"0b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21"},
                        "Quantity":"5","start":1,"end":"2","GridArea":"DK2","CertificateType":"Production","new":{"x":[{}]},
                        "Attributes":{"a":"b"}}]}
            """);

        Assert.Equal(7, page.Metadata!.Total);
        var certificate = Assert.Single(page.Items);
        Assert.Equal((5L, 1L, 2L, "DK2", "Production"), (certificate.Quantity, certificate.Start, certificate.End, certificate.GridArea, certificate.CertificateType));
        Assert.Equal(new Guid("0b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21"), certificate.StreamId);
        Assert.Equal("""{"a":"b"}""", Written(certificate.Attributes));
    }

    [Fact]
    public void A_member_sent_twice_reads_as_its_last()
    {
        var page = Read("""{"result":[],"metadata":{"total":1},"result":null,"metadata":{"total":2}}""");

        Assert.Empty(page.Items);
        Assert.Equal(2, page.Metadata!.Total);
    }

    [Fact]
    public void Registry_grid_area_and_type_repeated_by_certificates_are_one_string()
    {
        var page = Read(Answer("null", "null"));

        Assert.Same(page.Items[0].Registry, page.Items[1].Registry);
        Assert.Same(page.Items[0].GridArea, page.Items[1].GridArea);
        Assert.Same(page.Items[0].CertificateType, page.Items[1].CertificateType);
    }

    [Fact]
    public void Escaped_certificate_members_read_as_their_text()
    {
        var page = Read(Answer("null").Replace("\"DK1\"", "\"D\\u004B1\"").Replace("\"production\"", "\"pr\\u006Fduction\"").Replace("\"quantity\"", "\"qu\\u0061ntity\""));

        var certificate = Assert.Single(page.Items);
        Assert.Equal(("DK1", "production", 5L), (certificate.GridArea, certificate.CertificateType, certificate.Quantity));
    }

    public static TheoryData<string> Refused => new()
    {
        "",
        "[]",
        "\"text\"",
        """{"result":[""",
        """{"result":[]} {}""",
        """{"result":{}}""",
        """{"result":[null]}""",
        """{"result":[{"certificateType":"production"}]}""",
        """{"result":[{"federatedStreamId":{"registry":"Energinet.dk","streamId":"0b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21"}}]}""",
        """{"result":[],"metadata":{"total":4294967296}}""",
        """{"result":[],"metadata":{"total":1.5}}""",
        Answer("""{"capacity":5}"""),
        Answer("""{"nested":{"a":"b"}}"""),
        Answer("""["a","b"]"""),
        Answer("\"text\""),
        Answer("""{"half":"\uD800"}"""),
        Answer("""{"half":"\uDE00 after"}"""),
        Answer("""{"tw\u0069ce":"\uD800"}"""),
        Answer("""{"a":"b"}""").Replace("1700003600", "999999999999999"),
        Answer("""{"a":"b"}""").Replace("\"0b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21\"", "\"not-a-guid\""),
        Answer("""{"a":"b"}""").Replace("\"quantity\":5", "\"quantity\":null"),
        Answer("""{"a":"b"}""").Replace("\"DK1\"", "1"),
    };

    /// <summary>What the serializer refused, and a certificate without id or type (which then failed the page with a 500).</summary>
    [Theory]
    [MemberData(nameof(Refused))]
    public void Refuses_what_is_not_etts_certificates_answer(string json)
    {
        Assert.ThrowsAny<JsonException>(() => Read(json));
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // a surrogate, encoded as UTF-8 must not
    public void Refuses_text_that_is_not_utf8(byte[] invalid)
    {
        var json = Encoding.UTF8.GetBytes(Answer("""{"a":"INVALID"}"""));
        var at = json.AsSpan().IndexOf("INVALID"u8);
        byte[] body = [.. json.AsSpan(0, at), .. invalid, .. json.AsSpan(at + "INVALID".Length)];

        Assert.ThrowsAny<JsonException>(() => Read(body));
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<EttPage<EttClaimedCertificate>>(body, EttRequest.Json));
    }

    [Fact]
    public void A_json_null_reads_as_null()
    {
        Assert.Null(EttCertificateListReader.Read("null"u8.ToArray(), 4));
    }

    [Fact]
    public void Reading_a_page_allocates_the_list_and_nothing_per_attribute()
    {
        var attributes = JsonSerializer.Serialize(Enumerable.Range(0, 22).ToDictionary(i => $"energyTag_Attribute{i}", i => $"value {i} \u00f8"));
        var answer = Encoding.UTF8.GetBytes(Answer([.. Enumerable.Repeat(attributes, 50)]));
        Read(answer);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var page = Read(answer);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before - (answer.Length + 100 + 24);

        Assert.Equal(50, page.Items.Count);
        // The list of fifty (grown from four: about twice its final size), the page, its metadata and a scratch buffer.
        Assert.InRange(allocated, 0, 16 * 1024);
    }
}
