using Engine.Silo.Membership;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Silo.Runtime;

/// <summary>The node's background work: heartbeats, the timer claimer and the outbox dispatcher. Polls about once a second; "now" always comes from the injected clock.</summary>
public sealed class SiloWorkers(
    NodeRegistry nodes, TimerService timers, Alerts.Alerts alerts, Reports.Rollups rollups, OutboxDispatcher outbox, Assignment.AssignmentService assignment, Npgsql.NpgsqlDataSource db,
    IOptions<EngineOptions> options, ILogger<SiloWorkers> log) : BackgroundService
{
    /// <summary>The node is in the cluster table before the host reports started.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await nodes.RegisterAsync(options.Value.Workers ? "api,workers" : "api", cancellationToken);
        if (options.Value.Workers) await alerts.EnsureDailyChecksAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = new List<Task> { Loop("heartbeat", options.Value.HeartbeatInterval, nodes.HeartbeatAsync, stoppingToken) };
        if (options.Value.Workers)
        {
            loops.Add(Loop("timers", options.Value.PollInterval, timers.RunDueAsync, stoppingToken));
            loops.Add(Loop("outbox", options.Value.PollInterval, outbox.RunDueAsync, stoppingToken));
            loops.Add(Loop("report rollups", TimeSpan.FromSeconds(5), async ct => { while (await rollups.FoldAsync(ct) >= 20_000) { } }, stoppingToken));
            loops.Add(Loop("assignment sweep", TimeSpan.FromMinutes(1), ct => assignment.SweepAsync(db, ct), stoppingToken));
        }
        await Task.WhenAll(loops);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try { await nodes.StoppedAsync(cancellationToken); }
        catch (Exception e) { log.LogWarning(e, "Could not mark the node stopped."); }
    }

    private async Task Loop(string name, TimeSpan every, Func<CancellationToken, Task> work, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try { await work(ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e) { log.LogError(e, "Worker {Name} failed; it runs again shortly.", name); }
            try { await Task.Delay(every, ct); }
            catch (OperationCanceledException) { return; }
        }
    }
}
