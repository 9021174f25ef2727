using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Ett.Gateway.Observability;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Gateway.Tests.Operations;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using static Ett.Gateway.Tests.Operations.OperationsSandbox;

namespace Ett.Gateway.Tests.Observability;

public sealed class CorrelationTests : GatewayTest
{
    private const string Header = Correlation.HeaderName;

    [Fact]
    public async Task A_callers_correlation_id_is_echoed_on_answers_problems_and_the_passthrough_and_sent_to_ett()
    {
        var anonymous = Gateway.CreateClient();
        var cases = new (HttpClient Client, string Path, HttpStatusCode Status, bool Problem)[]
        {
            (anonymous, "/health/live", HttpStatusCode.OK, false),
            (anonymous, "/organizations", HttpStatusCode.Unauthorized, true),
            (Caller, "/no-such-endpoint", HttpStatusCode.NotFound, false),
            (Caller, "/ett/no-such-operation", HttpStatusCode.NotFound, true),
            (Caller, $"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}", HttpStatusCode.OK, false),
        };

        foreach (var (client, path, status, problem) in cases)
        {
            var id = $"caller-{Guid.NewGuid():N}";
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add(Header, id);

            var response = await client.SendAsync(request);

            Assert.Equal(status, response.StatusCode);
            Assert.Equal([id], response.Headers.GetValues(Header));
            if (problem)
                Assert.Equal(id, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("correlationId").GetString());
        }
        var forwarded = Assert.Single(Upstreams.EttRequests, r => r.Path == "/wallet-api/wallets");
        Assert.Single(forwarded.HeaderValues(Header), value => value.StartsWith("caller-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_correlation_id_the_gateway_makes_one_per_request_and_sends_it_to_ett()
    {
        var first = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        var second = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        var ids = new[] { first, second }.Select(r => Assert.Single(r.Headers.GetValues(Header))).ToList();
        Assert.All(ids, id => Assert.True(Correlation.IsValid(id)));
        Assert.NotEqual(ids[0], ids[1]);
        Assert.Equal(ids, Upstreams.EttRequests.Select(r => Assert.Single(r.HeaderValues(Header))));
    }

    [Fact]
    public void A_gateway_made_id_is_a_version_7_uuid_of_the_clocks_millisecond()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TestClock.Start.AddTicks(1234567));

        var ids = Enumerable.Range(0, 1000).Select(_ => Correlation.NewId(clock)).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id =>
        {
            Assert.Matches("^[0-9a-f]{32}$", id);
            var uuid = Guid.ParseExact(id, "N");
            Assert.Equal(7, uuid.Version);
            Assert.Equal(0b10, uuid.Variant >> 2);
            Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), Convert.ToInt64(id[..12], 16));
        });
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(string.CompareOrdinal(Correlation.NewId(clock), ids.Max(StringComparer.Ordinal)) > 0);
    }

    public static TheoryData<string[]> InvalidIds() => new()
    {
        { [new string('a', Correlation.MaxLength + 1)] },
        { ["has space"] },
        { ["semi;colon"] },
        { ["new\u00e6line"] },
        { ["slash/ed"] },
        { ["{\"json\":1}"] },
        { ["one", "two"] },
        { ["a,b"] },
    };

    [Theory]
    [MemberData(nameof(InvalidIds))]
    public async Task An_invalid_correlation_id_is_refused_with_400_and_reaches_neither_ett_nor_the_logs(string[] values)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        request.Headers.TryAddWithoutValidation(Header, values);

        var response = await Caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("https://ett-gateway/problems/validation", problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(Header, out _));
        var replacement = Assert.Single(response.Headers.GetValues(Header));
        Assert.True(Correlation.IsValid(replacement));
        Assert.Equal(replacement, problem.GetProperty("correlationId").GetString());
        Assert.Empty(Upstreams.EttRequests);
        Assert.Empty(Upstreams.TokenRequests);
        Assert.All(values, value => Assert.DoesNotContain(value, Gateway.AllLogText() + ScopeText(Gateway.Logs)));
    }

    internal static string ScopeText(FakeLogCollector logs) =>
        string.Join('\n', logs.GetSnapshot().SelectMany(r => r.Scopes).Select(scope => scope is IEnumerable<KeyValuePair<string, object?>> pairs
            ? string.Join(',', pairs.Select(p => $"{p.Key}={p.Value}"))
            : scope?.ToString()));

    internal static IEnumerable<string?> CorrelationIdsOf(FakeLogRecord record) =>
        record.Scopes.OfType<IEnumerable<KeyValuePair<string, object?>>>().SelectMany(s => s)
            .Where(p => p.Key == Correlation.LogProperty).Select(p => p.Value as string);
}
