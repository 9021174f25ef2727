using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Ett.Gateway.Observability;
using Ett.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Ett.Gateway.Tests.Passthrough;

/// <summary>A call to ETT's API, proxied or the typed client's, is measured once: by the gateway's own metric, not again by System.Net.Http.</summary>
public sealed class PassthroughMetricsTests : GatewayTest
{
    [Fact]
    public async Task A_proxied_or_typed_call_is_recorded_in_the_gateways_ett_metric_and_not_again_in_http_client_metrics()
    {
        // The caller's signing keys and the ETT token are read (and measured) before: the fake serves them on the same port.
        var path = $"/ett/wallet-api/wallets?organizationId={Upstreams.OwnOrganization}";
        Assert.Equal(HttpStatusCode.OK, (await Caller.GetAsync(path)).StatusCode);
        // System.Net.Http's measurements of calls to this test's fake ETT (other tests' upstreams listen on other ports).
        var port = Upstreams.BaseAddress.Port;
        var httpClientMeasurements = new ConcurrentQueue<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "System.Net.Http") l.EnableMeasurementEvents(instrument);
            },
        };
        void Record<T>(Instrument instrument, T _, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? __)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "server.port" && tag.Value is int p && p == port) httpClientMeasurements.Enqueue(instrument.Name);
            }
        }
        listener.SetMeasurementEventCallback<double>(Record);
        listener.SetMeasurementEventCallback<long>(Record);
        listener.Start();
        using var ett = new MetricCollector<double>(Gateway.Services.GetRequiredService<IMeterFactory>(), GatewayTelemetry.Name, "ett_gateway.ett.request.duration");

        var proxied = await Caller.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
        var recorded = Assert.Single(ett.GetMeasurementSnapshot());
        Assert.Equal("passthrough", recorded.Tags["client"]);
        Assert.Equal("200", recorded.Tags["status"]);
        Assert.Empty(httpClientMeasurements);

        var typed = await Caller.GetAsync($"/organizations/{Upstreams.OwnOrganization}/contracts");

        Assert.Equal(HttpStatusCode.OK, typed.StatusCode);
        var typedCall = Assert.Single(ett.GetMeasurementSnapshot(), m => (string?)m.Tags["client"] == "typed");
        Assert.Equal("200", typedCall.Tags["status"]);
        Assert.Empty(httpClientMeasurements);

        // The listener does hear System.Net.Http's measurements of this port: a plain client's call is one.
        using var plain = new HttpClient();
        using var _ = await plain.GetAsync(Upstreams.BaseAddress);
        Assert.Contains("http.client.request.duration", httpClientMeasurements);
    }
}
