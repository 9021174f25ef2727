using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ett.Gateway.Features.Certificates;
using Ett.Gateway.Features.Paging;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Ett.Gateway.Tests.Features.Certificates;

/// <summary>
/// The certificates page is written straight from ETT's answer: it must hold the data the documented records
/// (<see cref="Page{Certificate}"/>) hold when mapped from the serializer's read of that answer, however the answer
/// arrives, with the attributes as ETT escaped them.
/// </summary>
public class CertificatePageTests : IAsyncLifetime
{
    private readonly Guid _organization = Guid.NewGuid();
    private FakeUpstreams _upstreams = null!;
    private GatewayFactory _gateway = null!;
    private HttpClient _caller = null!;

    private string PagePath => $"/organizations/{_organization}/certificates";

    // As ETT's wallet writes it (System.Text.Json's default encoder: non-ASCII and HTML characters escaped), and some
    // of what it might send besides: raw UTF-8, a name sent twice, an escaped name, null and empty attributes, PascalCase.
    private const string Answer = """
        {"result":[
          {"federatedStreamId":{"registry":"Energinet.dk","streamId":"0b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21"},"quantity":212345,"start":1764590400,"end":1764594000,"gridArea":"DK1","certificateType":"production",
           "attributes":{"energyTag_GcIssuer":"Energinet","energyTag_ProductionDeviceLocation":"Vindm\u00F8llevej 1, 8000 \u00C5rhus C","energyTag_Note":"\u003Cb\u003E \u0026 \u0027 \u002B","isTrial":"false"}},
          {"federatedStreamId":{"registry":"Energinet.dk","streamId":"1b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21"},"quantity":0,"start":1764594000,"end":1764597600,"gridArea":"DK2","certificateType":"Production",
           "attributes":{"raw":"Århus Ø 😀","twice":"first","other":"x","twice":"second"}},
          {"federatedStreamId":{"registry":"Energinet.dk","streamId":"2b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21"},"quantity":4294967295,"start":1764597600,"end":1764601200,"gridArea":"DK1","certificateType":"consumption",
           "attributes":{"\u0061ssetId":"571313000000000017","nothing":null}},
          {"federatedStreamId":{"registry":"Energinet.dk","streamId":"3b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21"},"quantity":1,"start":1764601200,"end":1764604800,"gridArea":"DK2","certificateType":"consumption","attributes":{}},
          {"federatedStreamId":{"registry":"Energinet.dk","streamId":"4b9c2f4e-8d1a-4c3b-9e7f-2a6d5c4b3a21"},"quantity":2,"start":1764604800,"end":1764608400,"gridArea":"DK2","certificateType":"consumption","attributes":null}
        ],"metadata":{"count":5,"offset":0,"limit":51,"total":5}}
        """;

    public async Task InitializeAsync()
    {
        _upstreams = await FakeUpstreams.StartAsync();
        _upstreams.TokenOrganizations = [_organization];
        _gateway = new GatewayFactory(_upstreams);
        _caller = _gateway.CreateCaller(_upstreams.CallerToken());
    }

    public async Task DisposeAsync()
    {
        _caller.Dispose();
        await _gateway.DisposeAsync();
        await _upstreams.DisposeAsync();
    }

    /// <summary>ETT answers the certificates list with <paramref name="body"/>, <paramref name="chunk"/> bytes per write.</summary>
    private void EttAnswers(byte[] body, int chunk, bool announceLength) => _upstreams.EttBehaviour = async (context, request) =>
    {
        Assert.Equal("/wallet-api/certificates", request.Path);
        context.Response.ContentType = "application/json; charset=utf-8";
        if (announceLength) context.Response.ContentLength = body.Length;
        for (var at = 0; at < body.Length; at += chunk)
        {
            await context.Response.Body.WriteAsync(body.AsMemory(at, Math.Min(chunk, body.Length - at)));
            await context.Response.Body.FlushAsync();
        }
    };

    /// <summary>The page as it was written before it was written from ETT's bytes: records mapped from the serializer's read.</summary>
    private static JsonNode Expected(string answer)
    {
        var ett = JsonSerializer.Deserialize<WireAnswer>(answer, JsonSerializerOptions.Web)!;
        var page = new Page<Certificate>
        {
            Items = [.. ett.Result.Select(c => new Certificate
            {
                Id = new CertificateId { Registry = c.FederatedStreamId.Registry, StreamId = c.FederatedStreamId.StreamId },
                Type = c.CertificateType.ToLowerInvariant(),
                GridArea = c.GridArea,
                Start = DateTimeOffset.FromUnixTimeSeconds(c.Start),
                End = DateTimeOffset.FromUnixTimeSeconds(c.End),
                QuantityWh = c.Quantity,
                Attributes = c.Attributes ?? new Dictionary<string, string>(),
            })],
            NextCursor = null,
            TotalCount = ett.Metadata.Total,
        };
        return JsonSerializer.SerializeToNode(page, JsonSerializerOptions.Web)!;
    }

    private sealed record WireAnswer(List<WireCertificate> Result, WireMetadata Metadata);

    private sealed record WireCertificate(WireId FederatedStreamId, long Quantity, long Start, long End, string GridArea, string CertificateType, Dictionary<string, string>? Attributes);

    private sealed record WireId(string Registry, Guid StreamId);

    private sealed record WireMetadata(int Total);

    [Theory]
    [InlineData(int.MaxValue, true)]
    [InlineData(int.MaxValue, false)]
    [InlineData(1, false)] // split inside every escape, every multi-byte letter and every token
    [InlineData(7, true)]
    [InlineData(1000, false)]
    public async Task The_page_holds_what_the_documented_records_held_however_etts_answer_arrives(int chunk, bool announceLength)
    {
        EttAnswers(Encoding.UTF8.GetBytes(Answer), chunk, announceLength);

        var response = await _caller.GetAsync($"{PagePath}?limit=50");

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var expected = Expected(Answer);
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(body)), $"expected {expected.ToJsonString()}\nwritten  {body}");
        // Names and order as ETT sent them: a dictionary read of the page, and a DOM comparison, would not tell.
        var attributes = JsonDocument.Parse(body).RootElement.GetProperty("items").EnumerateArray()
            .Select(c => string.Join(",", c.GetProperty("attributes").EnumerateObject().Select(a => a.Name)));
        Assert.Equal(["energyTag_GcIssuer,energyTag_ProductionDeviceLocation,energyTag_Note,isTrial", "raw,twice,other", "assetId,nothing", "", ""], attributes);
    }

    [Fact]
    public async Task Attributes_reach_the_caller_escaped_as_ett_escaped_them()
    {
        EttAnswers(Encoding.UTF8.GetBytes(Answer), int.MaxValue, announceLength: true);

        var body = await _caller.GetStringAsync($"{PagePath}?limit=50");

        Assert.Contains("""
            "attributes":{"energyTag_GcIssuer":"Energinet","energyTag_ProductionDeviceLocation":"Vindm\u00F8llevej 1, 8000 \u00C5rhus C","energyTag_Note":"\u003Cb\u003E \u0026 \u0027 \u002B","isTrial":"false"}
            """, body);
        // Where it reads them (a name sent twice, or an escaped name), as the gateway writes any JSON: ASP.NET Core's
        // relaxed escaping, as before.
        Assert.Contains("""
            "attributes":{"raw":"Århus Ø \uD83D\uDE00","twice":"second","other":"x"}
            """, body);
        Assert.Contains("""
            "attributes":{"assetId":"571313000000000017","nothing":null}
            """, body);
    }

    [Fact]
    public async Task A_page_read_from_several_ett_answers_writes_each_certificate_from_its_own()
    {
        // Filtered by grid area, which ETT cannot do: the gateway reads on, and each kept certificate's attributes point
        // into another ETT answer (another pooled body), all of which must still hold them when the page is written.
        var certificates = Enumerable.Range(0, 8).Select(i => $$$"""
            {"federatedStreamId":{"registry":"Energinet.dk","streamId":"{{{new Guid(i + 1, 0, 0, new byte[8])}}}"},"quantity":{{{i + 1}}},"start":{{{1764590400 + 3600 * i}}},"end":{{{1764594000 + 3600 * i}}},"gridArea":"{{{(i % 2 == 0 ? "DK1" : "DK2")}}}","certificateType":"production","attributes":{"n":"{{{i}}}"}}
            """).ToList();
        _upstreams.EttBehaviour = async (context, request) =>
        {
            var (skip, limit) = (int.Parse(context.Request.Query["skip"]!), int.Parse(context.Request.Query["limit"]!));
            var items = certificates.Skip(skip).Take(limit);
            await context.Response.WriteAsync($$$"""{"result":[{{{string.Join(",", items)}}}],"metadata":{"count":0,"offset":{{{skip}}},"limit":{{{limit}}},"total":8}}""");
        };

        var page = JsonDocument.Parse(await _caller.GetStringAsync($"{PagePath}?limit=2&gridArea=DK2")).RootElement;

        Assert.Equal(["1", "3"], page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("attributes").GetProperty("n").GetString()));
        Assert.Equal(2, _upstreams.EttRequests.Count(r => r.Path == "/wallet-api/certificates"));
    }
}
