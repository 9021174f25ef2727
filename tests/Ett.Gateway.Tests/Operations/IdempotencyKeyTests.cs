using System.Net;
using static Ett.Gateway.Tests.Operations.OperationsSandbox;

namespace Ett.Gateway.Tests.Operations;

public sealed class IdempotencyKeyTests : IAsyncLifetime
{
    private OperationsSandbox env = null!;
    private HttpClient caller = null!;

    private static readonly string Transfers = $"/organizations/{Producer}/transfers";

    public async Task InitializeAsync()
    {
        env = await OperationsSandbox.StartAsync();
        env.StartGateway();
        caller = await env.CallerAsync();
    }

    public async Task DisposeAsync() => await env.DisposeAsync();

    /// <summary>Two certificates' worth, so a transfer has two legs.</summary>
    private object TwoLegTransfer() => new
    {
        partnerOrganizationId = Trader,
        quantityWh = env.AvailableProduction(Producer, "DK1")[0].AvailableWh + 1,
        gridArea = "DK1",
    };

    [Fact]
    public async Task Sequential_replay_returns_identical_bytes_and_ett_sees_one_transfer_per_leg()
    {
        var body = TwoLegTransfer();

        var first = await caller.SendAsync(Post(Transfers, body, "replay-key"));
        var firstBytes = await first.Content.ReadAsByteArrayAsync();
        await env.SettleAsync();
        var second = await caller.SendAsync(Post(Transfers, body, "replay-key"));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(firstBytes, await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal(first.Content.Headers.ContentType, second.Content.Headers.ContentType);
        Assert.Equal(2, env.EttPosts("transfers").Count);
    }

    [Fact]
    public async Task Same_json_spelled_differently_is_the_same_request()
    {
        var first = await caller.SendAsync(Post(Transfers, $$"""{"quantityWh":1000,"partnerOrganizationId":"{{Trader}}"}""", "spelling"));
        var second = await caller.SendAsync(Post(Transfers, $$"""{ "partnerOrganizationId": "{{Trader}}", "quantityWh": 1000 }""", "spelling"));

        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        Assert.Single(env.EttPosts("transfers"));
    }

    [Fact]
    public async Task Fifty_parallel_requests_with_one_key_cause_one_set_of_ett_transfers()
    {
        var body = TwoLegTransfer();
        var callers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => env.CallerAsync()));

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => callers[i % callers.Length].SendAsync(Post(Transfers, body, "parallel-key"))));

        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.Conflict }));
        var accepted = responses.Where(r => r.StatusCode == HttpStatusCode.Accepted).ToList();
        Assert.NotEmpty(accepted);
        var bodies = await Task.WhenAll(accepted.Select(r => r.Content.ReadAsStringAsync()));
        Assert.Single(bodies.Distinct());
        Assert.Equal(2, env.EttPosts("transfers").Count);
        foreach (var conflict in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
        {
            Assert.Equal("https://ett-gateway/problems/idempotency-key-in-flight", (await JsonOf(conflict)).GetProperty("type").GetString());
            Assert.NotNull(conflict.Headers.RetryAfter);
        }
    }

    [Fact]
    public async Task Same_key_with_a_different_payload_is_422()
    {
        await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 1000 }, "reused"));

        var response = await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 2000 }, "reused"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("https://ett-gateway/problems/idempotency-key-reused", (await JsonOf(response)).GetProperty("type").GetString());
        Assert.Single(env.EttPosts("transfers"));
    }

    [Fact]
    public async Task Key_is_scoped_to_the_calling_identity()
    {
        var otherApp = env.Gateway.CreateCaller(env.Sandbox.IssueCallerToken(new Dictionary<string, object>
        {
            ["sub"] = "other-app", ["client_id"] = "other-app", ["roles"] = new[] { "Ett.Read", "Ett.Write" },
        }));
        await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 1000 }, "shared-name"));

        var response = await otherApp.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 2000 }, "shared-name"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(2, env.EttPosts("transfers").Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("\"\"")]
    public async Task Missing_or_malformed_key_is_400_and_nothing_is_sent(string? key)
    {
        var response = await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 1000 }, key));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://ett-gateway/problems/idempotency-key-required", (await JsonOf(response)).GetProperty("type").GetString());
        Assert.DoesNotContain(env.Ett.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task Key_longer_than_255_characters_is_400()
    {
        var response = await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 1000 }, new string('k', 256)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Quoted_key_as_the_draft_sends_it_is_the_same_key_as_bare()
    {
        var first = await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 1000 }, "\"quoted\""));
        var second = await caller.SendAsync(Post(Transfers, new { partnerOrganizationId = Trader, quantityWh = 1000 }, "quoted"));

        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        Assert.Single(env.EttPosts("transfers"));
    }
}
