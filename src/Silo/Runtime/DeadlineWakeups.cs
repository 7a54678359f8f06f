using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Engine.Silo.Runtime;

/// <summary>
/// Listens for the wake-ups that this node's committed transactions send (<see cref="DeadlineOwners.AppendWake"/>) and
/// wakes the owning grains, wherever in the cluster they live. Runs on every silo; each hears every node's wake-ups
/// and answers its own.
/// </summary>
public sealed class DeadlineWakeups(
    NpgsqlDataSource db, IGrainFactory grains, NodeIdentity node, ILogger<DeadlineWakeups> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(stoppingToken);
                var mine = node.Id + "|";
                conn.Notification += (_, e) =>
                {
                    if (!e.Payload.StartsWith(mine, StringComparison.Ordinal)) return;
                    foreach (var token in e.Payload[mine.Length..].Split(',', StringSplitOptions.RemoveEmptyEntries))
                        _ = DeadlineOwners.FromToken(grains, token).Wake();
                };
                await using (var listen = new NpgsqlCommand($"listen {DeadlineOwners.WakeChannel}", conn))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                while (!stoppingToken.IsCancellationRequested) await conn.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                // Missed wake-ups are caught by the sweep; listen again shortly.
                log.LogWarning(e, "Listening for deadline wake-ups failed; retrying.");
                try { await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }
}
