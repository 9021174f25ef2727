using System.Net;
using System.Text.Json;
using Ett.Gateway.Tests.Infrastructure;

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

    [Fact]
    public async Task Liveness_needs_no_dependency()
    {
        var response = await Gateway.CreateClient().GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(Upstreams.TokenRequests);
    }
}
