using System.Net;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Ett.Gateway.Tests.Passthrough;

/// <summary>The W3C trace context ETT receives through <c>/ett/</c>: never the caller's headers; the gateway's span only when traces are exported.</summary>
public static class PassthroughTraceContext
{
    public const string CallerTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    public const string CallerTraceParent = $"00-{CallerTraceId}-00f067aa0ba902b7-01";

    public static async Task<RecordedRequest> ProxyWithCallerTraceAsync(HttpClient caller, FakeUpstreams upstreams)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ett/wallet-api/wallets?organizationId={upstreams.OwnOrganization}");
        request.Headers.TryAddWithoutValidation("traceparent", CallerTraceParent);
        request.Headers.TryAddWithoutValidation("tracestate", "caller=private");
        request.Headers.TryAddWithoutValidation("baggage", "caller.secret=1");
        request.Headers.TryAddWithoutValidation("Request-Id", "|caller.1.");

        var response = await caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single(upstreams.EttRequests);
    }
}

public sealed class PassthroughWithoutTraceExportTests : GatewayTest
{
    [Fact]
    public async Task Ett_receives_no_trace_context_when_no_traces_are_exported()
    {
        var seen = await PassthroughTraceContext.ProxyWithCallerTraceAsync(Caller, Upstreams);

        Assert.False(seen.HasHeader("traceparent"));
        Assert.False(seen.HasHeader("tracestate"));
        Assert.False(seen.HasHeader("baggage"));
        Assert.False(seen.HasHeader("Request-Id"));
    }
}

public sealed class PassthroughWithTraceExportTests : GatewayTest
{
    // A closed loopback port: the exporter's failures stay in the background; only the propagation matters here.
    protected override void Configure(IWebHostBuilder builder) => builder.UseSetting("Observability:Otlp:Endpoint", "http://127.0.0.1:9/");

    [Fact]
    public async Task Ett_receives_the_gateways_own_span_in_the_callers_trace_when_traces_are_exported()
    {
        var seen = await PassthroughTraceContext.ProxyWithCallerTraceAsync(Caller, Upstreams);

        var traceParent = Assert.Single(seen.HeaderValues("traceparent"));
        Assert.NotEqual(PassthroughTraceContext.CallerTraceParent, traceParent);
        Assert.Equal(PassthroughTraceContext.CallerTraceId, traceParent.Split('-')[1]);
    }
}
