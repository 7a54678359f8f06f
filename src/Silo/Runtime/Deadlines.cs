using Engine.Grains.Deadlines;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Deadlines;
using Engine.Silo.Database;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Engine.Silo.Runtime;

/// <summary>
/// Fires a business's daily check for its grain: the check's time is part of the business's row, moved to the next
/// local midnight in the transaction that runs the check, fenced by the time it had (a second delivery finds it
/// moved).
/// </summary>
public sealed class BusinessDeadlineStore(
    NpgsqlDataSource db, Transactions runtime, Alerts.Alerts alerts, TimeProvider clock, Media.IMediaStore media)
    : IBusinessDeadlines
{
    public const string DailyCheck = "daily-check";

    public async Task<DeadlineFiring> FireDueAsync(Guid business, CancellationToken ct)
    {
        DateTimeOffset? read;
        await using (var conn = await db.OpenConnectionAsync(ct))
            read = await DueAtAsync(conn, null, business, ct);
        if (read is null || read > clock.GetUtcNow()) return Pending(0, read);
        string[] files = [];
        var firing = await runtime.CallAsync(async (conn, tx, ct2) =>
        {
            var now = clock.GetUtcNow();
            if (await DueAtAsync(conn, tx, business, ct2) is not { } at || at > now) return Pending(0, null);
            var effects = new Effects();
            var next = await alerts.DailyAsync(conn, tx, business, now, effects, ct2);
            (_, files) = await Contacts.Erasure.ApplyRetentionAsync(conn, tx, business, now, ct2);   // its retention
            await Channels.TemplateSyncs.QueueAsync(conn, tx, business, now, ct2);   // its WhatsApp templates, daily
            if (await Sql.ExecAsync(conn, tx,
                    "update businesses set daily_check_at = @next where id = @b and daily_check_at = @at",
                    ct2, ("next", next), ("b", business), ("at", at)) == 0)
                throw new VersionConflictException("business");
            if (!effects.IsEmpty)
            {
                var batch = new NpgsqlBatch(conn, tx);
                effects.AppendTo(batch, now);
                await batch.ExecuteNonQueryAsync(ct2);
            }
            return Pending(1, next);
        }, ct);
        await Contacts.Erasure.ForgetUnreferencedAsync(db, media, files, ct);   // attachments the retention removed
        return firing;
    }

    private static DeadlineFiring Pending(int fired, DateTimeOffset? at) => at is { } due
        ? new(fired, DeadlineFiring.None.Pending.Add(DailyCheck, due))
        : DeadlineFiring.None with { Fired = fired };

    private static async Task<DateTimeOffset?> DueAtAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid business,
        CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx, "select daily_check_at from businesses where id = @b", r => r.NullableTime(0),
            ct, ("b", business))).SingleOrDefault();
}

/// <summary>
/// Fires everything overdue through the owning grains: the safety net for deadlines whose grain was not active to time
/// them (collected, lost in a crash, or set by another grain's commit). Silos run it every
/// <see cref="DeadlinePlan.SweepEvery"/>; tests and the test-only clock endpoint run it right after moving the fake
/// clock. It reads the owners' own state: the conversations' and businesses' next deadlines.
/// </summary>
public sealed class DeadlineSweep(
    NpgsqlDataSource db, TimeProvider clock, IGrainFactory grains, Alerts.Alerts alerts, ILogger<DeadlineSweep> log)
{
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        await alerts.EnsureDailyChecksAsync(ct);   // a business created since the last sweep
        var now = clock.GetUtcNow();
        List<IDeadlineOwnerGrain> owners;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            owners = [
                .. (await Sql.QueryAsync(conn, null, "select id from conversations where next_deadline_at <= @now",
                    r => r.GetGuid(0), ct, ("now", now)))
                    .Select(id => grains.GetGrain<IConversationGrain>(GrainKeys.Conversation(id))),
                .. (await Sql.QueryAsync(conn, null, "select id from businesses where daily_check_at <= @now",
                    r => r.GetGuid(0), ct, ("now", now)))
                    .Select(id => grains.GetGrain<IBusinessGrain>(GrainKeys.Business(id))),
            ];
        }
        var fired = 0;
        foreach (var chunk in owners.Chunk(32))
            fired += (await Task.WhenAll(chunk.Select(FireAsync))).Sum();
        return fired;
    }

    /// <summary>One owner's failure (its silo just died, the database blinked) leaves it for the next sweep, not the
    /// others.</summary>
    private async Task<int> FireAsync(IDeadlineOwnerGrain owner)
    {
        try { return await owner.FireDue(); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(e, "Firing the deadlines of {Owner} failed; the next sweep tries again.",
                owner.GetPrimaryKeyString());
            return 0;
        }
    }
}
