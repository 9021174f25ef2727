using System.Net;
using System.Text.Json;
using Ett.Gateway.Tests.Errors;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;
using static Ett.Gateway.Tests.Features.Paging.PagingClient;

namespace Ett.Gateway.Tests.Features.Certificates;

public class CertificatesTests : IAsyncLifetime
{
    private static readonly Guid Producer = SandboxSeed.ProducerOrganizationId;
    private static readonly string Path = $"/organizations/{Producer}/certificates";
    private SandboxGateway _env = null!;
    private HttpClient _caller = null!;

    public async Task InitializeAsync()
    {
        _env = await SandboxGateway.StartAsync();
        _caller = await _env.CreateCallerAsync(SandboxSeed.ReaderClientId);
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private List<SandboxCertificate> Available(Func<SandboxCertificate, bool>? where = null) =>
        [.. _env.Sandbox.State.CertificatesOf(Producer).Where(c => c.AvailableWh > 0 && (where?.Invoke(c) ?? true))];

    private static string Key(JsonElement item) => $"{item.GetProperty("id").GetProperty("registry").GetString()}/{item.GetProperty("id").GetProperty("streamId").GetGuid()}";

    [Fact]
    public async Task Certificate_has_iso_times_quantity_in_wh_lowercase_type_and_attributes()
    {
        var page = JsonDocument.Parse(await _caller.GetStringAsync($"{Path}?type=production&limit=1")).RootElement;

        // The wallet sorts by end only, so a page never ends inside a run of equal ends: limit=1 gives the whole run.
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.NotEmpty(items);
        Assert.Single(items.Select(i => i.GetProperty("end").GetString()).Distinct());
        var item = items[0];
        var id = item.GetProperty("id").GetProperty("streamId").GetGuid();
        var expected = Available().Single(c => c.StreamId == id);
        Assert.Equal(SandboxSeed.Registry, item.GetProperty("id").GetProperty("registry").GetString());
        Assert.Equal("production", item.GetProperty("type").GetString());
        Assert.Equal(expected.GridArea, item.GetProperty("gridArea").GetString());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(expected.Start), IsoInstant(item.GetProperty("start")));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(expected.End), IsoInstant(item.GetProperty("end")));
        Assert.Equal(expected.AvailableWh, item.GetProperty("quantityWh").GetInt64());
        Assert.Equal("Energinet", item.GetProperty("attributes").GetProperty("energyTag_GcIssuer").GetString());
        Assert.Equal(Available(c => c.Type == SandboxCertificateType.Production).Count, page.GetProperty("totalCount").GetInt32());
        Assert.False(item.TryGetProperty("federatedStreamId", out _));
        Assert.False(item.TryGetProperty("quantity", out _));
    }

    [Fact]
    public async Task Paging_through_every_certificate_has_no_duplicates_and_no_gaps()
    {
        var expected = Available();
        Assert.True(expected.Count > 100, "the seed should give more certificates than several pages");

        var items = await ReadAllPagesAsync(_caller, Path, "", limit: 25);

        Assert.Equal(items.Count, items.Select(Key).Distinct().Count());
        Assert.Equal(expected.Select(c => $"{c.Registry}/{c.StreamId}").Order(), items.Select(Key).Order());
        Assert.Equal(items.Select(i => i.GetProperty("end").GetDateTimeOffset()).Order(), items.Select(i => i.GetProperty("end").GetDateTimeOffset()));
    }

    [Fact]
    public async Task Paging_with_the_gateway_side_grid_area_filter_has_no_duplicates_and_no_gaps()
    {
        var from = DateTimeOffset.FromUnixTimeSeconds(Available().Min(c => c.Start)).AddHours(5);
        var expected = Available(c => c.Type == SandboxCertificateType.Production && c.GridArea == "DK2" && c.Start >= from.ToUnixTimeSeconds());
        Assert.True(expected.Count > 14);

        var totals = new List<JsonElement>();
        var items = await ReadAllPagesAsync(_caller, Path,
            $"type=production&gridArea=DK2&from={Uri.EscapeDataString(from.ToString("O"))}", limit: 7, page => totals.Add(page.GetProperty("totalCount")));

        Assert.Equal(items.Count, items.Select(Key).Distinct().Count());
        Assert.Equal(expected.Select(c => $"{c.Registry}/{c.StreamId}").Order(), items.Select(Key).Order());
        Assert.All(items, i => Assert.Equal("DK2", i.GetProperty("gridArea").GetString()));
        Assert.All(totals, t => Assert.Equal(JsonValueKind.Null, t.ValueKind));
    }

    [Fact]
    public async Task One_page_of_certificates_costs_exactly_one_ett_call()
    {
        await _caller.GetStringAsync($"{Path}?limit=1"); // warm up: ETT token
        _env.Sandbox.State.ClearRequests();

        var page = JsonDocument.Parse(await _caller.GetStringAsync($"{Path}?type=consumption&limit=50")).RootElement;

        var call = Assert.Single(_env.Sandbox.State.Requests);
        Assert.Equal("GET", call.Method);
        Assert.EndsWith("/wallet-api/certificates", call.Path);
        Assert.Contains($"organizationId={Producer}", call.QueryString);
        Assert.Contains("type=Consumption", call.QueryString);
        Assert.Contains("limit=51", call.QueryString); // one more, to see whether the next certificate ends at the same time
        Assert.Contains("skip=0", call.QueryString);
        Assert.Contains("sortBy=End", call.QueryString);
        Assert.Contains("sort=ASC", call.QueryString);
        Assert.Equal(0, page.GetProperty("items").GetArrayLength()); // the producer holds no consumption certificates
        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextCursor").ValueKind);
    }

    [Fact]
    public async Task Cursor_resumes_at_the_ett_offset_it_encodes()
    {
        var first = JsonDocument.Parse(await _caller.GetStringAsync($"{Path}?limit=30")).RootElement;
        _env.Sandbox.State.ClearRequests();

        await _caller.GetStringAsync($"{Path}?limit=10&cursor={first.GetProperty("nextCursor").GetString()}");

        // The producer's wind and solar certificates end in the same hours; a page never ends between such twins.
        var read = first.GetProperty("items").GetArrayLength();
        Assert.InRange(read, 29, 30);
        var call = Assert.Single(_env.Sandbox.State.Requests, r => r.Path.EndsWith("/wallet-api/certificates"));
        Assert.Contains($"skip={read}&", call.QueryString);
        Assert.Contains("limit=11", call.QueryString);
    }

    [Theory]
    [InlineData("type=solar", "type", "Must be 'production' or 'consumption'.")]
    [InlineData("type=Production", "type", "Must be 'production' or 'consumption'.")]
    [InlineData("gridArea=DK3", "gridArea", "Must be 'DK1' or 'DK2'.")]
    [InlineData("limit=0", "limit", "Must be between 1 and 1000.")]
    [InlineData("limit=1001", "limit", "Must be between 1 and 1000.")]
    [InlineData("from=2026-02-01T00:00:00Z&to=2026-02-01T00:00:00Z", "from", "Must be earlier than 'to'.")]
    [InlineData("from=2026-03-01T00:00:00Z&to=2026-02-01T00:00:00Z", "from", "Must be earlier than 'to'.")]
    [InlineData("cursor=bm90LWEtY3Vyc29y", "cursor", "Is not a cursor this gateway issued: pass nextCursor from a previous page unchanged.")]
    [InlineData("cursor=%21%21", "cursor", "Is not a cursor this gateway issued: pass nextCursor from a previous page unchanged.")]
    public async Task Invalid_query_is_a_validation_problem_naming_the_field(string query, string field, string message)
    {
        _env.Sandbox.State.ClearRequests();

        var response = await _caller.GetAsync($"{Path}?{query}");

        await ProblemAssert.EqualAsync(400, $$"""
            {
              "type": "https://ett-gateway/problems/validation",
              "title": "The request is invalid",
              "status": 400,
              "errors": { "{{field}}": [{{JsonSerializer.Serialize(message)}}] }
            }
            """, response);
        Assert.Empty(_env.Sandbox.State.Requests);
    }

    [Fact]
    public async Task Unparsable_limit_is_a_validation_problem_naming_limit()
    {
        var response = await _caller.GetAsync($"{Path}?limit=many");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("https://ett-gateway/problems/validation", problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("limit", out _));
    }

    [Theory]
    [InlineData("type=consumption")]
    [InlineData("type=production&gridArea=DK2")]
    [InlineData("type=production&from=2026-01-01T00:00:00Z")]
    [InlineData("type=production&to=2099-01-01T00:00:00Z")]
    public async Task Cursor_used_with_other_filters_is_rejected(string otherFilters)
    {
        var first = JsonDocument.Parse(await _caller.GetStringAsync($"{Path}?type=production&limit=5")).RootElement;
        var cursor = first.GetProperty("nextCursor").GetString();

        var sameFilters = await _caller.GetAsync($"{Path}?type=production&limit=7&cursor={cursor}");
        var response = await _caller.GetAsync($"{Path}?{otherFilters}&limit=5&cursor={cursor}");

        Assert.Equal(HttpStatusCode.OK, sameFilters.StatusCode);
        await ProblemAssert.EqualAsync(400, """
            {
              "type": "https://ett-gateway/problems/validation",
              "title": "The request is invalid",
              "status": 400,
              "errors": { "cursor": ["Belongs to a query with other filters: repeat the filters of the request that returned it, or start without a cursor."] }
            }
            """, response);
    }

    [Fact]
    public async Task Cursor_of_another_organization_is_rejected()
    {
        var first = JsonDocument.Parse(await _caller.GetStringAsync($"{Path}?limit=5")).RootElement;

        var response = await _caller.GetAsync(
            $"/organizations/{SandboxSeed.ConsumerOrganizationId}/certificates?limit=5&cursor={first.GetProperty("nextCursor").GetString()}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"cursor\"", await response.Content.ReadAsStringAsync());
    }
}
