using System.Net;
using System.Text.Json;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Ett.Gateway.Tests.Health;

public class ReadinessTests : GatewayTest
{
    [Fact]
    public async Task Readiness_reports_the_operations_store_and_the_pinned_versions_without_a_token()
    {
        var response = await Gateway.CreateClient().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("operations-store").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("ett-api-versions").GetProperty("status").GetString());
        Assert.Empty(Upstreams.EttRequests);
    }

    private async Task<(HttpStatusCode Status, JsonElement Checks)> ReadyAsync()
    {
        var response = await Gateway.CreateClient().GetAsync("/health/ready");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("checks"));
    }

    [Fact]
    public async Task Readiness_obtains_one_ett_token_and_then_answers_from_it_however_often_it_is_probed()
    {
        for (var probe = 0; probe < 5; probe++)
        {
            var (status, checks) = await ReadyAsync();
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("Healthy", checks.GetProperty("ett-token").GetProperty("status").GetString());
            Assert.Equal("Healthy", checks.GetProperty("ett-circuits").GetProperty("status").GetString());
        }

        Assert.Single(Upstreams.TokenRequests);
    }

    [Fact]
    public async Task A_failing_token_endpoint_makes_readiness_unhealthy_with_one_token_attempt_per_probe_interval()
    {
        Upstreams.TokenBehaviour = context =>
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return Task.CompletedTask;
        };

        for (var probe = 0; probe < 5; probe++)
        {
            var (status, checks) = await ReadyAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("Unhealthy", checks.GetProperty("ett-token").GetProperty("status").GetString());
        }
        Assert.Single(Upstreams.TokenRequests);

        Gateway.Time.Advance(TimeSpan.FromSeconds(30));
        Upstreams.TokenBehaviour = null;
        var (recovered, _) = await ReadyAsync();
        await ReadyAsync();

        Assert.Equal(HttpStatusCode.OK, recovered);
        Assert.Equal(2, Upstreams.TokenRequests.Count);
        Assert.DoesNotContain(FakeUpstreams.EttClientSecret, Gateway.AllLogText());
    }

    [Fact]
    public async Task Liveness_needs_no_dependency()
    {
        var response = await Gateway.CreateClient().GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(Upstreams.TokenRequests);
    }
}
