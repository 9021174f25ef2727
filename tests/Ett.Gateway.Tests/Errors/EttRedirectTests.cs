using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ett.Gateway.Errors;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Ett.Gateway.Tests.Errors;

/// <summary>
/// ETT's API never redirects: a redirect means Ett:BaseUrl points somewhere else (an http URL answered with a move to
/// https, a load balancer's login page). The typed client does not follow it, to wherever it points, with or without
/// the gateway's token; the caller gets a 502 naming the setting.
/// </summary>
public class EttRedirectTests : GatewayTest
{
    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task A_redirect_from_ett_is_a_502_problem_and_its_target_is_never_requested(int status)
    {
        var organization = Guid.NewGuid();
        Upstreams.TokenOrganizations = [organization];
        Upstreams.EttBehaviour = (context, request) =>
        {
            if (request.Path == "/wallet-api/certificates")
            {
                context.Response.StatusCode = status;
                context.Response.Headers.Location = new Uri(Upstreams.BaseAddress, "ett/moved/wallet-api/certificates" + context.Request.QueryString).AbsoluteUri;
            }
            else context.Response.StatusCode = StatusCodes.Status200OK;
            return Task.CompletedTask;
        };

        var response = await Caller.GetAsync($"/organizations/{organization}/certificates?limit=5");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ProblemTypes.UpstreamUnavailable, problem.GetProperty("type").GetString());
        Assert.Equal("ETT redirected the request", problem.GetProperty("title").GetString());
        Assert.Equal($"ETT answered {status}, a redirect the gateway does not follow: check Ett:BaseUrl.", problem.GetProperty("detail").GetString());
        Assert.Equal(status, problem.GetProperty("upstreamStatus").GetInt32());
        // What crossed the wire: the one request ETT redirected, nothing to where it pointed.
        var sent = Assert.Single(Upstreams.EttRequests);
        Assert.Equal("/wallet-api/certificates", sent.Path);
        Assert.DoesNotContain(Upstreams.EttRequests, r => r.Path.StartsWith("/moved", StringComparison.Ordinal));
    }
}
