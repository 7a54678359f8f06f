using Engine.Grains.Deadlines;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Silo.Runtime;

/// <summary>
/// The node's background work: the sweep of overdue deadlines (every 5 s; an active grain's timer fires its deadlines
/// to the second), the outbox dispatcher (about once a second), rollup folding, the assignment safety sweep and
/// forgetting expired webhook nonces. "Now" always comes from the injected clock.
/// </summary>
public sealed class SiloWorkers(
    DeadlineSweep deadlines, Reports.Rollups rollups, OutboxDispatcher outbox,
    Assignment.TeamQueues queues, Ingestion.ReplayGuard nonces, IOptions<EngineOptions> options, ILogger<SiloWorkers> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = new List<Task>();
        if (options.Value.Workers)
        {
            loops.Add(Loop("deadline sweep", DeadlinePlan.SweepEvery, deadlines.RunDueAsync, stoppingToken));
            loops.Add(Loop("outbox", options.Value.PollInterval, outbox.RunDueAsync, stoppingToken));
            loops.Add(Loop("report rollups", TimeSpan.FromSeconds(5), async ct => { while (await rollups.FoldAsync(ct) >= 20_000) { } }, stoppingToken));
            loops.Add(Loop("assignment sweep", TimeSpan.FromMinutes(1), queues.SweepAsync, stoppingToken));
            loops.Add(Loop("expired nonces", TimeSpan.FromMinutes(1), nonces.PurgeAsync, stoppingToken));
        }
        await Task.WhenAll(loops);
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
