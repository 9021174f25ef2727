using System.Net;
using System.Security.Cryptography;
using System.Text;
using Ett.Gateway.Tests.Infrastructure;
using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Gateway.Tests.Passthrough;

public class PassthroughTests : GatewayTest
{
    protected override void Configure(IWebHostBuilder builder) => builder.UseSetting("Ett:ApiVersions:Measurements", "2");

    [Fact]
    public async Task Ett_receives_exactly_our_token_and_pinned_version_whatever_the_caller_sends()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        request.Headers.TryAddWithoutValidation("X-API-Version", "20250101");
        request.Headers.TryAddWithoutValidation("Cookie", "session=caller-cookie");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.1.2.3");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "caller.example");
        request.Headers.TryAddWithoutValidation("Forwarded", "for=10.1.2.3");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic Y2FsbGVyOnNlY3JldA==");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");

        var response = await Caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(Upstreams.EttRequests);
        Assert.Equal([$"Bearer {Upstreams.IssuedEttTokens.Single()}"], seen.HeaderValues("Authorization"));
        Assert.Equal(["1"], seen.HeaderValues("X-API-Version"));
        Assert.False(seen.HasHeader("Cookie"));
        Assert.False(seen.HasHeader("Forwarded"));
        Assert.False(seen.HasHeader("Proxy-Authorization"));
        Assert.False(seen.HasHeader("Keep-Alive"));
        Assert.DoesNotContain(seen.Headers.Keys, h => h.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Each_ett_api_group_gets_its_own_pinned_version()
    {
        await Caller.GetAsync($"/ett/api/measurements/meteringpoints?organizationId={Upstreams.OwnOrganization}");
        await Caller.GetAsync("/ett/api/authorization/client/consents");

        Assert.Equal(["2"], Upstreams.EttRequests.Single(r => r.Path.StartsWith("/api/measurements")).HeaderValues("X-API-Version"));
        Assert.Equal(["1"], Upstreams.EttRequests.Single(r => r.Path.StartsWith("/api/authorization")).HeaderValues("X-API-Version"));
    }

    [Fact]
    public async Task The_typed_client_sets_the_pinned_version_too()
    {
        var client = Gateway.Services.GetRequiredService<IHttpClientFactory>().CreateClient(EttRequest.HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/measurements/meteringpoints");
        request.Headers.TryAddWithoutValidation("X-API-Version", "99");

        await client.SendAsync(request);

        Assert.Equal(["2"], Upstreams.EttRequests.Single().HeaderValues("X-API-Version"));
    }

    [Fact]
    public async Task Query_and_body_arrive_unchanged()
    {
        const string query = "?organizationId=8b0e1f4c-4a5d-4d7e-9a1b-2c3d4e5f6a7b&start=1700000000&note=a%20b%2Bc&type=Production";
        const string body = """{"certificateId":{"registry":"DK1","streamId":"0c7d2b8e-1111-4a8b-9c3d-4e5f6a7b8c9d"},"quantity":42,"hashedAttributes":["assetId"]}""";
        Upstreams.TokenOrganizations = [Guid.Parse("8b0e1f4c-4a5d-4d7e-9a1b-2c3d4e5f6a7b")];

        var response = await Caller.PostAsync("/ett/wallet-api/transfers" + query, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(Upstreams.EttRequests);
        Assert.Equal("POST", seen.Method);
        Assert.Equal("/wallet-api/transfers", seen.Path);
        Assert.Equal(query, seen.Query);
        Assert.Equal(body, seen.BodyText);
    }

    [Fact]
    public async Task Ett_status_headers_and_body_are_passed_back()
    {
        Upstreams.EttBehaviour = async (context, _) =>
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.Headers["api-supported-versions"] = "1";
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("\"Unable to interact with a disabled wallet.\"");
        };

        var response = await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["1"], response.Headers.GetValues("api-supported-versions"));
        Assert.Equal("\"Unable to interact with a disabled wallet.\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_10_MB_response_streams_through_without_being_buffered_whole()
    {
        const int size = 10 * 1024 * 1024;
        var firstPartRead = new TaskCompletionSource();
        var payload = RandomNumberGenerator.GetBytes(size);
        var report = Guid.NewGuid();
        Upstreams.EttBehaviour = async (context, request) =>
        {
            // The passthrough first finds the report in the organization's own list (ETT's download ignores the organization).
            if (request.Path == "/api/reports")
            {
                await context.Response.WriteAsJsonAsync(new { result = new[] { new { id = report, createdAt = 1_780_000_000L, status = "Completed" } } });
                return;
            }
            context.Response.ContentType = "application/octet-stream";
            await context.Response.Body.WriteAsync(payload.AsMemory(0, 1024 * 1024));
            await context.Response.Body.FlushAsync();
            // The rest is only sent once the caller has read the first megabyte: a gateway that buffered the
            // whole body would never deliver it, and this test would time out instead of passing.
            await firstPartRead.Task;
            await context.Response.Body.WriteAsync(payload.AsMemory(1024 * 1024));
        };

        using var response = await Caller.GetAsync($"/ett/api/reports/{report}/download?organizationId={Upstreams.OwnOrganization}", HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(60))) > 0)
        {
            received.Write(buffer, 0, read);
            if (received.Length >= 1024 * 1024) firstPartRead.TrySetResult();
        }

        Assert.Equal(size, received.Length);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(received.ToArray()));
    }

    [Fact]
    public async Task Ett_deprecating_the_pinned_version_is_logged_once_and_kept_for_health()
    {
        Upstreams.EttBehaviour = (context, _) =>
        {
            context.Response.Headers["api-deprecated-versions"] = "1";
            context.Response.Headers["Sunset"] = "Wed, 01 Jul 2026 00:00:00 GMT";
            return Task.CompletedTask;
        };

        await Caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        await Caller.GetAsync($"/ett/wallet-api/certificates?organizationId={Upstreams.OwnOrganization}");

        var deprecation = Assert.Single(Gateway.Services.GetRequiredService<ApiVersionPins>().Deprecations);
        Assert.Equal(("Wallet", "1", true), (deprecation.Group, deprecation.Version, deprecation.Deprecated));
        Assert.Single(Gateway.Logs.GetSnapshot(), r => r.Message.Contains("pinned API version 1 for Wallet"));
        var health = await Gateway.CreateClient().GetStringAsync("/health/ready");
        Assert.Contains("\"status\":\"Degraded\"", health);
        Assert.Contains("Wallet:1", health);
    }

    [Fact]
    public async Task Secrets_and_tokens_never_appear_in_logs()
    {
        var callerToken = Upstreams.CallerToken();
        var caller = Gateway.CreateCaller(callerToken);
        Upstreams.EttBehaviour = (context, request) =>
        {
            context.Response.StatusCode = request.Path.Contains("transfers") ? 401 : 200;
            return Task.CompletedTask;
        };

        await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");
        await caller.PostAsync($"/ett/wallet-api/transfers?organizationId={Upstreams.OwnOrganization}", new StringContent("{}"));
        await Gateway.Services.GetRequiredService<IHttpClientFactory>().CreateClient(EttRequest.HttpClientName).GetAsync("wallet-api/transfers");
        Upstreams.TokenBehaviour = context =>
        {
            context.Response.StatusCode = 500;
            return Task.CompletedTask;
        };
        Gateway.Time.Advance(TimeSpan.FromHours(2));
        await caller.GetAsync($"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}");

        var logs = Gateway.AllLogText();
        Assert.NotEmpty(Upstreams.IssuedEttTokens);
        Assert.Contains("Obtained ETT token", logs);
        Assert.DoesNotContain(FakeUpstreams.EttClientSecret, logs);
        Assert.DoesNotContain(callerToken, logs);
        Assert.All(Upstreams.IssuedEttTokens, token => Assert.DoesNotContain(token, logs));
    }
}
