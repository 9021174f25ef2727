using System.Diagnostics;

namespace Ett.Gateway.Observability;

/// <summary>The gateway's own trace source and meter name; both are exported when OpenTelemetry is on.</summary>
public static class GatewayTelemetry
{
    /// <summary>The name of the gateway's ActivitySource and of every <see cref="System.Diagnostics.Metrics.Meter"/> it owns.</summary>
    public const string Name = "Ett.Gateway";

    /// <summary>Spans for the worker's steps and other work no inbound request carries.</summary>
    public static readonly ActivitySource Source = new(Name);
}
