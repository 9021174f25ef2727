using System.Net;
using System.Text.Json.Nodes;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Ett.Gateway.Tests.Defaults;

/// <summary>The gateway behind a load balancer: which forwarded headers it believes, and compressed OpenAPI documents.</summary>
public sealed class GatewayEdgeTests : IAsyncLifetime
{
    private FakeUpstreams upstreams = null!;

    public async Task InitializeAsync() => upstreams = await FakeUpstreams.StartAsync();

    public async Task DisposeAsync() => await upstreams.DisposeAsync();

    /// <summary>A gateway whose every request arrives from <paramref name="remote"/> (TestServer has no address of its own).</summary>
    private GatewayFactory Gateway(string remote, params (string Key, string Value)[] settings) => new(upstreams, builder =>
    {
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new FromAddress(IPAddress.Parse(remote))));
    });

    private static async Task<string> ServerUrlAsync(GatewayFactory gateway)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "ett-gateway.contoso.com");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        var document = JsonNode.Parse(await (await gateway.CreateClient().SendAsync(request)).Content.ReadAsStringAsync())!;
        return document["servers"]!.AsArray().Single()!["url"]!.GetValue<string>();
    }

    [Fact]
    public async Task Forwarded_headers_from_a_known_network_set_the_documents_server_url()
    {
        await using var gateway = Gateway("10.1.2.3", ("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/8"));

        Assert.Equal("https://ett-gateway.contoso.com", (await ServerUrlAsync(gateway)).TrimEnd('/'));
    }

    public static TheoryData<string, string, string> UntrustedSenders => new()
    {
        // Off by default, even from loopback (the framework's own default would trust it).
        { "127.0.0.1", "", "" },
        { "192.168.1.1", "ForwardedHeaders:KnownNetworks:0", "10.0.0.0/8" },
        { "10.1.2.4", "ForwardedHeaders:KnownProxies:0", "10.1.2.3" },
        { "10.1.2.3", "ForwardedHeaders:AllowedHosts:0", "other.contoso.com" },
    };

    [Theory]
    [MemberData(nameof(UntrustedSenders))]
    public async Task Forwarded_headers_from_anyone_else_are_ignored(string remote, string key, string value)
    {
        var settings = key.Length == 0 ? [] : new[] { (key, value) };
        if (key == "ForwardedHeaders:AllowedHosts:0") settings = [.. settings, ("ForwardedHeaders:KnownProxies:0", "10.1.2.3")];
        await using var gateway = Gateway(remote, settings);

        Assert.DoesNotContain("ett-gateway.contoso.com", await ServerUrlAsync(gateway));
    }

    [Fact]
    public async Task Openapi_documents_are_compressed_and_api_answers_are_not()
    {
        await using var gateway = Gateway("127.0.0.1");
        var client = gateway.CreateClient();

        foreach (var (path, compressed) in new[] { ("/openapi/v1.json", true), ("/openapi/ett.json", true), ("/health/ready", false) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Accept-Encoding", "gzip");
            var response = await client.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(compressed ? ["gzip"] : [], response.Content.Headers.ContentEncoding);
        }
    }

    private sealed class FromAddress(IPAddress address) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                context.Connection.RemoteIpAddress = address;
                return following(context);
            });
            next(app);
        };
    }
}
