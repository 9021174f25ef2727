using System.Net;
using Ett.Gateway.Passthrough;
using Ett.Gateway.Tests.Features;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Forwarder;

namespace Ett.Gateway.Tests.Passthrough;

public class PassthroughErrorsTests : GatewayTest
{
    [Fact]
    public async Task Ett_401_to_a_proxied_request_is_a_502_problem_not_the_callers_401()
    {
        Upstreams.EttBehaviour = (context, _) =>
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return context.Response.WriteAsync("ETT's own 401 body");
        };

        var response = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        var problem = await response.ProblemAsync(HttpStatusCode.BadGateway, "upstream-unavailable");
        Assert.Equal(401, problem.GetProperty("upstreamStatus").GetInt32());
        Assert.False(response.Headers.Contains("WWW-Authenticate"));
        Assert.DoesNotContain("ETT's own 401 body", problem.ToString());
        Assert.Single(Upstreams.EttRequests);
    }

    [Fact]
    public async Task Ett_closing_the_connection_is_a_502_problem()
    {
        Upstreams.EttBehaviour = (context, _) =>
        {
            context.Abort();
            return Task.CompletedTask;
        };

        var response = await Caller.PostAsync($"/ett/wallet-api/transfers?organizationId={Upstreams.OwnOrganization}", new StringContent("{}"));

        await response.ProblemAsync(HttpStatusCode.BadGateway, "upstream-unavailable");
        Assert.Single(Upstreams.EttRequests);
    }

    [Fact]
    public async Task Ett_errors_other_than_401_pass_through_unchanged()
    {
        Upstreams.EttBehaviour = (context, _) =>
        {
            context.Response.StatusCode = 503;
            return context.Response.WriteAsync("ETT's own 503");
        };

        var response = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("ETT's own 503", await response.Content.ReadAsStringAsync());
    }

    // YARP's activity timeout is a CancellationTokenSource.CancelAfter on the wall clock (HttpForwarder.cs,
    // ActivityCancellationTokenSource.cs in dotnet/yarp v2.3.0), so its outcome is mapped here without waiting for it.
    [Theory]
    [InlineData(ForwarderError.RequestTimedOut, 504)]
    [InlineData(ForwarderError.Request, 502)]
    [InlineData(ForwarderError.RequestCreation, 502)]
    [InlineData(ForwarderError.ResponseHeaders, 502)]
    public void Yarp_errors_become_upstream_unavailable_problems(ForwarderError error, int status)
    {
        var problem = PassthroughErrors.Problem(error);

        Assert.NotNull(problem);
        Assert.Equal(status, problem.Status);
        Assert.Equal("https://ett-gateway/problems/upstream-unavailable", problem.Type);
    }

    [Fact]
    public void The_activity_timeout_comes_from_configuration()
    {
        using var gateway = new GatewayFactory(new Dictionary<string, string?>(GatewayFactory.SettingsFor(Upstreams))
        {
            ["Ett:Resilience:PassthroughActivityTimeout"] = "00:00:07",
        });

        var config = gateway.Services.GetRequiredService<PassthroughErrors>().RequestConfig;

        Assert.Equal(TimeSpan.FromSeconds(7), config.ActivityTimeout);
    }
}
