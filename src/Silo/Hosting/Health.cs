using System.Text.Json;
using Engine.Silo.Database;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Runtime;

namespace Engine.Silo.Hosting;

/// <summary>How a node leaves (<c>Engine:Shutdown</c>): not ready for <see cref="DrainDelay"/> while it still serves,
/// so the load balancer takes it out, then within <see cref="Timeout"/> it stops taking connections, finishes the
/// requests in flight (their commits), stops its silo (grains deactivated, the cluster told) and exits.</summary>
public sealed class ShutdownOptions
{
    public const string Section = "Engine:Shutdown";
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Whether this node is on its way out: set when the host starts stopping.</summary>
public sealed class NodeDrain
{
    private readonly TaskCompletionSource _begun = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public bool Draining => _begun.Task.IsCompleted;

    /// <summary>Completes when the node starts draining.</summary>
    public Task Begun => _begun.Task;

    public void Begin() => _begun.TrySetResult();
}

/// <summary>The first step of a graceful stop: the node turns not ready and keeps serving for the drain delay.</summary>
public sealed class DrainOnShutdown(NodeDrain drain, IOptions<ShutdownOptions> options, ILogger<DrainOnShutdown> log)
    : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken ct)
    {
        drain.Begin();
        log.LogInformation("Shutting down: not ready, draining for {Delay}.", options.Value.DrainDelay);
        // Operational, not a business rule: the load balancer's clock is the real one.
        try { await Task.Delay(options.Value.DrainDelay, TimeProvider.System, ct); }
        catch (OperationCanceledException) { }
    }

    public Task StartingAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Not ready while draining.</summary>
public sealed class DrainCheck(NodeDrain drain) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct) =>
        Task.FromResult(drain.Draining ? HealthCheckResult.Unhealthy("shutting down") : HealthCheckResult.Healthy());
}

/// <summary>Every migration of this build is applied to the database.</summary>
public sealed class MigrationsCheck(NpgsqlDataSource db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct) =>
        await Migrator.MissingAsync(db, ct) is { Count: > 0 } missing
            ? HealthCheckResult.Unhealthy($"migrations not applied: {string.Join(", ", missing)}")
            : HealthCheckResult.Healthy();
}

/// <summary>The node's part of the Orleans cluster works: a node hosting a silo is Active in the membership; an API-only
/// node sees at least one active silo through its gateway.</summary>
public sealed class ClusterCheck(IServiceProvider services, ClusterView cluster) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct)
    {
        if (services.GetService<ILocalSiloDetails>() is { } local
            && services.GetService<IClusterMembershipService>() is { } membership)
        {
            var status = membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress);
            return status == SiloStatus.Active
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"silo {local.SiloAddress} is {status}");
        }
        try
        {
            return (await cluster.SilosAsync()).Any(s => s.Status == nameof(SiloStatus.Active))
                ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("no active silo in the cluster");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("the cluster is unreachable", e);
        }
    }
}

/// <summary>
/// <c>/health/live</c>: the process answers. <c>/health/ready</c>: PostgreSQL answers, every migration is applied, this
/// node's silo is active in the cluster (or, API-only, the cluster has one), and the node is not shutting down — 503
/// otherwise, with each check's status. <c>/health</c> stays as liveness.
/// </summary>
public static class Health
{
    private const string Ready = "ready";

    public static IServiceCollection AddEngineHealth(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<ShutdownOptions>(config.GetSection(ShutdownOptions.Section));
        var shutdown = config.GetSection(ShutdownOptions.Section).Get<ShutdownOptions>() ?? new ShutdownOptions();
        services.Configure<HostOptions>(h => h.ShutdownTimeout = shutdown.Timeout);
        services.AddSingleton<NodeDrain>();
        services.AddHostedService<DrainOnShutdown>();
        services.AddHealthChecks()
            .AddCheck<DrainCheck>("draining", tags: [Ready])
            .AddNpgSql(name: "postgresql", tags: [Ready], timeout: TimeSpan.FromSeconds(5))
            .AddCheck<MigrationsCheck>("migrations", tags: [Ready])
            .AddCheck<ClusterCheck>("cluster", tags: [Ready]);
        return services;
    }

    public static void MapEngineHealth(this IEndpointRouteBuilder app)
    {
        var live = new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync };
        app.MapHealthChecks("/health", live).WithTags("Operations").AllowAnonymous();
        app.MapHealthChecks("/health/live", live).WithTags("Operations").AllowAnonymous();
        var ready = new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteAsync };
        app.MapHealthChecks("/health/ready", ready)
            .WithTags("Operations").AllowAnonymous();
    }

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status == HealthStatus.Healthy ? "ok" : report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(e => e.Key,
                e => new { status = e.Value.Status.ToString().ToLowerInvariant(), e.Value.Description }),
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
    }
}
