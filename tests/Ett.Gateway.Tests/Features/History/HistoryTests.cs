using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Gateway.Tests.Errors;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Sandbox;
using static Ett.Gateway.Tests.Features.Paging.PagingClient;

namespace Ett.Gateway.Tests.Features.History;

public class HistoryTests : IAsyncLifetime
{
    private static readonly Guid Producer = SandboxSeed.ProducerOrganizationId;
    private static readonly Guid Consumer = SandboxSeed.ConsumerOrganizationId;
    private SandboxGateway _env = null!;
    private HttpClient _caller = null!;

    public async Task InitializeAsync()
    {
        _env = await SandboxGateway.StartAsync();
        _caller = await _env.CreateCallerAsync(SandboxSeed.ReaderClientId);
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();

    /// <summary>ETT's own unpaged list: the truth the gateway's pages must add up to.</summary>
    private async Task<List<JsonElement>> EttListAsync(string list, Guid organizationId)
    {
        using var ett = await _env.Sandbox.CreateEttClientAsync();
        var json = JsonDocument.Parse(await ett.GetStringAsync($"wallet-api/{list}?organizationId={organizationId}&timeMatch=All")).RootElement;
        return [.. json.GetProperty("result").EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>The consumer claims part of the production it bought against its own consumption, hour by hour.</summary>
    private async Task<int> ClaimHoursAsync(int hours)
    {
        var certificates = _env.Sandbox.State.CertificatesOf(Consumer).Where(c => c.AvailableWh > 0 && c.GridArea == "DK1").ToList();
        var pairs = certificates.Where(c => c.Type == SandboxCertificateType.Production)
            .Join(certificates.Where(c => c.Type == SandboxCertificateType.Consumption), p => p.Start, c => c.Start, (p, c) => (p, c))
            .Take(hours).ToList();
        Assert.Equal(hours, pairs.Count);
        using var ett = await _env.Sandbox.CreateEttClientAsync();
        foreach (var (production, consumption) in pairs)
        {
            var response = await ett.PostAsJsonAsync($"wallet-api/claims?organizationId={Consumer}", new
            {
                productionCertificateId = new { registry = production.Registry, streamId = production.StreamId },
                consumptionCertificateId = new { registry = consumption.Registry, streamId = consumption.StreamId },
                quantity = (uint)Math.Min(production.AvailableWh, consumption.AvailableWh) / 2,
            });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        await _env.Sandbox.State.WhenIdleAsync();
        return pairs.Count;
    }

    [Fact]
    public async Task Paging_through_claims_has_no_duplicates_and_no_gaps()
    {
        await ClaimHoursAsync(13);
        var expected = await EttListAsync("claims", Consumer);

        var items = await ReadAllPagesAsync(_caller, $"/organizations/{Consumer}/claims", "", limit: 4,
            page => Assert.Equal(13, page.GetProperty("totalCount").GetInt32()));

        Assert.Equal(13, items.Count);
        Assert.Equal(items.Count, items.Select(i => i.GetProperty("claimId").GetGuid()).Distinct().Count());
        Assert.Equal(expected.Select(c => c.GetProperty("claimId").GetGuid()).Order(), items.Select(i => i.GetProperty("claimId").GetGuid()).Order());
    }

    [Fact]
    public async Task Claim_has_both_certificates_iso_times_and_quantity_in_wh()
    {
        await ClaimHoursAsync(1);
        var ett = (await EttListAsync("claims", Consumer)).Single();

        var page = JsonDocument.Parse(await _caller.GetStringAsync($"/organizations/{Consumer}/claims")).RootElement;

        var claim = page.GetProperty("items").EnumerateArray().Single();
        Assert.Equal(ett.GetProperty("claimId").GetGuid(), claim.GetProperty("claimId").GetGuid());
        Assert.Equal(ett.GetProperty("quantity").GetInt64(), claim.GetProperty("quantityWh").GetInt64());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(ett.GetProperty("updatedAt").GetInt64()), IsoInstant(claim.GetProperty("updatedAt")));
        foreach (var side in new[] { "productionCertificate", "consumptionCertificate" })
        {
            var (gateway, upstream) = (claim.GetProperty(side), ett.GetProperty(side));
            Assert.Equal(upstream.GetProperty("federatedStreamId").GetProperty("streamId").GetGuid(), gateway.GetProperty("id").GetProperty("streamId").GetGuid());
            Assert.Equal(SandboxSeed.Registry, gateway.GetProperty("id").GetProperty("registry").GetString());
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(upstream.GetProperty("start").GetInt64()), IsoInstant(gateway.GetProperty("start")));
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(upstream.GetProperty("end").GetInt64()), IsoInstant(gateway.GetProperty("end")));
            Assert.Equal("DK1", gateway.GetProperty("gridArea").GetString());
            Assert.Equal("true", gateway.GetProperty("attributes").GetProperty("isTrial").GetString());
        }
        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextCursor").ValueKind);
    }

    [Fact]
    public async Task Paging_through_transfers_has_no_duplicates_and_no_gaps()
    {
        var expected = await EttListAsync("transfers", Producer);
        Assert.True(expected.Count > 100, "the seed transfers part of every wind and solar hour");
        // ETT lists one row per transferred slice: the trader bought each solar certificate in two pieces, so a
        // certificate and receiver may appear twice, with different quantities.
        static string Key(JsonElement t, string id, string quantity) =>
            $"{t.GetProperty(id).GetProperty("streamId").GetGuid()}/{t.GetProperty("receiverId").GetString()}/{t.GetProperty(quantity).GetInt64()}";

        var items = await ReadAllPagesAsync(_caller, $"/organizations/{Producer}/transfers", "", limit: 30);

        Assert.Equal(expected.Select(t => Key(t, "federatedStreamId", "quantity")).Order(), items.Select(t => Key(t, "certificateId", "quantityWh")).Order());
    }

    [Fact]
    public async Task Transfer_has_iso_times_quantity_in_wh_and_grid_area()
    {
        var ett = (await EttListAsync("transfers", Producer))[0];

        var transfer = JsonDocument.Parse(await _caller.GetStringAsync($"/organizations/{Producer}/transfers?limit=1")).RootElement
            .GetProperty("items").EnumerateArray().Single();

        Assert.Equal(ett.GetProperty("federatedStreamId").GetProperty("streamId").GetGuid(), transfer.GetProperty("certificateId").GetProperty("streamId").GetGuid());
        Assert.Equal(ett.GetProperty("receiverId").GetString(), transfer.GetProperty("receiverId").GetString());
        Assert.Equal(ett.GetProperty("quantity").GetInt64(), transfer.GetProperty("quantityWh").GetInt64());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(ett.GetProperty("start").GetInt64()), IsoInstant(transfer.GetProperty("start")));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(ett.GetProperty("end").GetInt64()), IsoInstant(transfer.GetProperty("end")));
        Assert.Equal(ett.GetProperty("gridArea").GetString(), transfer.GetProperty("gridArea").GetString());
    }

    [Fact]
    public async Task Period_filter_reaches_ett_as_unix_seconds()
    {
        _env.Sandbox.State.ClearRequests();

        await _caller.GetStringAsync($"/organizations/{Producer}/transfers?from=2026-11-24T10:00:00%2B01:00&to=2026-11-25T00:00:00.5Z&limit=10");

        var call = Assert.Single(_env.Sandbox.State.Requests, r => r.Path.EndsWith("/wallet-api/transfers"));
        Assert.Contains($"start={new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds()}", call.QueryString);
        Assert.Contains($"end={new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds()}", call.QueryString);
    }

    [Theory]
    [InlineData("claims", "limit=0", "limit", "Must be between 1 and 1000.")]
    [InlineData("transfers", "limit=1001", "limit", "Must be between 1 and 1000.")]
    [InlineData("claims", "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from", "Must be earlier than 'to'.")]
    [InlineData("transfers", "from=2026-02-01T00:00:00Z&to=2026-02-01T00:00:00Z", "from", "Must be earlier than 'to'.")]
    [InlineData("claims", "cursor=garbage", "cursor", "Is not a cursor this gateway issued: pass nextCursor from a previous page unchanged.")]
    [InlineData("transfers", "cursor=djE6MTA6", "cursor", "Is not a cursor this gateway issued: pass nextCursor from a previous page unchanged.")]
    public async Task Invalid_query_is_a_validation_problem_naming_the_field(string list, string query, string field, string message)
    {
        var response = await _caller.GetAsync($"/organizations/{Producer}/{list}?{query}");

        await ProblemAssert.EqualAsync(400, $$"""
            {
              "type": "https://ett-gateway/problems/validation",
              "title": "The request is invalid",
              "status": 400,
              "errors": { "{{field}}": [{{JsonSerializer.Serialize(message)}}] }
            }
            """, response);
    }

    [Fact]
    public async Task Transfers_cursor_does_not_continue_claims_nor_another_period()
    {
        var page = JsonDocument.Parse(await _caller.GetStringAsync($"/organizations/{Producer}/transfers?limit=5")).RootElement;
        var cursor = page.GetProperty("nextCursor").GetString();

        var asClaims = await _caller.GetAsync($"/organizations/{Producer}/claims?cursor={cursor}");
        var otherPeriod = await _caller.GetAsync($"/organizations/{Producer}/transfers?from=2026-01-01T00:00:00Z&cursor={cursor}");

        Assert.Equal(HttpStatusCode.BadRequest, asClaims.StatusCode);
        Assert.Contains("Belongs to a query with other filters", await asClaims.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, otherPeriod.StatusCode);
        Assert.Contains("Belongs to a query with other filters", await otherPeriod.Content.ReadAsStringAsync());
    }
}
