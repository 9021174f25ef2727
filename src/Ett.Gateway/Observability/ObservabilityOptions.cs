using System.ComponentModel.DataAnnotations;

namespace Ett.Gateway.Observability;

/// <summary><c>Observability:*</c>: the Prometheus scrape endpoint and OTLP export.</summary>
public sealed record ObservabilityOptions
{
    public const string Section = "Observability";

    /// <summary>The <c>service.name</c> of every exported signal.</summary>
    [Required]
    public string ServiceName { get; init; } = "ett-gateway";

    public PrometheusOptions Prometheus { get; init; } = new();
    public OtlpOptions Otlp { get; init; } = new();
}

public sealed record PrometheusOptions
{
    /// <summary>On by default: a scrape costs nothing until someone scrapes.</summary>
    public bool Enabled { get; init; } = true;

    public string Path { get; init; } = "/metrics";

    /// <summary>
    /// Empty (default): anonymous, as Prometheus scrapes without tokens — restrict it at the network. Else the
    /// permission a scraper's token must hold (e.g. <c>Ett.Admin</c>).
    /// </summary>
    public string? Permission { get; init; }
}

public sealed record OtlpOptions
{
    /// <summary>The collector, e.g. <c>http://otel-collector:4317</c>; unset (default) means no OTLP export and no tracing.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary><c>Grpc</c> (default) or <c>HttpProtobuf</c>.</summary>
    public OpenTelemetry.Exporter.OtlpExportProtocol Protocol { get; init; } = OpenTelemetry.Exporter.OtlpExportProtocol.Grpc;
}
