using System.Net;
using Engine.Silo.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Engine.Silo.Hosting;

/// <summary>
/// Metrics with OpenTelemetry, exported in Prometheus' text format at <c>/metrics</c>: ASP.NET Core's HTTP server
/// metrics, Npgsql's, Orleans' own meter (<c>Microsoft.Orleans</c>) and the engine's (<see cref="EngineMetrics"/>).
/// Traces (ASP.NET Core, Orleans' grain calls, Npgsql, outgoing HTTP and the engine's own spans,
/// <see cref="EngineTracing"/>) and logs are exported by OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (with the
/// other standard <c>OTEL_*</c> settings); console log lines carry the trace and span ids either way.
/// </summary>
public static class Telemetry
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static IHostApplicationBuilder AddEngineTelemetry(this IHostApplicationBuilder builder)
    {
        var config = builder.Configuration;
        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        builder.Logging.AddSimpleConsole(o => o.IncludeScopes = true);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("conversation-engine",
                serviceInstanceId: config["Engine:NodeId"] ?? Environment.MachineName))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter("Microsoft.Orleans")
                .AddMeter(EngineMetrics.MeterName)
                .AddPrometheusExporter());
        builder.Services.AddSingleton(new MetricsNetworks(config["Engine:Metrics:AllowedNetworks"]));
        if (string.IsNullOrWhiteSpace(config[OtlpEndpointKey])) return builder;
        otel.WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsProbe(http.Request.Path))
                .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                .AddNpgsql()
                .AddSource("System.Net.Http")
                .AddSource(EngineTracing.SourceName)
                .AddOtlpExporter())
            .WithLogging(l => l.AddOtlpExporter());
        return builder;
    }

    /// <summary>Health probes and scrapes arrive every few seconds: they are not traced.</summary>
    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");

    /// <summary><c>/metrics</c> on a silo-only node (no API keys there): from the allowed networks only.</summary>
    public static void MapSiloMetrics(this IEndpointRouteBuilder app) =>
        app.MapPrometheusScrapingEndpoint("/metrics").AddEndpointFilter(async (ctx, next) =>
            ctx.HttpContext.RequestServices.GetRequiredService<MetricsNetworks>().Allows(ctx.HttpContext)
                ? await next(ctx)
                : Results.Problem(statusCode: 403, title: "Scrape /metrics from Engine:Metrics:AllowedNetworks.",
                    extensions: new Dictionary<string, object?> { ["code"] = "forbidden" }));
}

/// <summary>The addresses that may scrape <c>/metrics</c> without a key (<c>Engine:Metrics:AllowedNetworks</c>: CIDR
/// ranges or addresses, comma-separated).</summary>
public sealed class MetricsNetworks(string? configured)
{
    private readonly IPNetwork[] _allowed = (configured ?? "")
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(e => e.Contains('/') ? IPNetwork.Parse(e)
            : new IPNetwork(IPAddress.Parse(e), IPAddress.Parse(e).GetAddressBytes().Length * 8))
        .ToArray();

    public bool Allows(HttpContext http) => http.Connection.RemoteIpAddress is { } ip
        && _allowed.Any(n => n.Contains(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip));
}
