using Engine.Silo.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry.Metrics;

namespace Engine.Silo.Hosting;

/// <summary>
/// Metrics with OpenTelemetry, exported in Prometheus' text format at <c>/metrics</c>: ASP.NET Core's HTTP server
/// metrics, Npgsql's, Orleans' own meter (<c>Microsoft.Orleans</c>) and the engine's (<see cref="EngineMetrics"/>).
/// </summary>
public static class Telemetry
{
    public static IServiceCollection AddEngineTelemetry(this IServiceCollection services, IConfiguration config)
    {
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddAspNetCoreInstrumentation()
            .AddNpgsqlInstrumentation()
            .AddMeter("Microsoft.Orleans")
            .AddMeter(EngineMetrics.MeterName)
            .AddPrometheusExporter());
        return services;
    }
}
