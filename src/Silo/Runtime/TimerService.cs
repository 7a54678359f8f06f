using Engine.Silo.Database;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Engine.Silo.Runtime;

/// <summary>Fires one kind of entity's timers inside the firing transaction.</summary>
public interface ITimerHandler
{
    string EntityType { get; }
    Task FireAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid entityId, string kind, DateTimeOffset now, CancellationToken ct);
}

public sealed record ClaimedTimer(string EntityType, Guid EntityId, string Kind, long Generation);

/// <summary>
/// Durable timers (reminders). Every node claims due rows with <c>FOR UPDATE SKIP LOCKED</c> and a
/// lease, then fires each in its own transaction that re-checks generation and lease, runs the
/// entity, and deletes the row: the effect happens once even when a node dies mid-lease and another
/// claims the timer after the lease runs out.
/// </summary>
public sealed class TimerService(
    NpgsqlDataSource db, EntityRuntime runtime, TimeProvider clock, NodeIdentity node,
    IEnumerable<ITimerHandler> handlers, IOptions<EngineOptions> options)
{
    private readonly Dictionary<string, ITimerHandler> _handlers = handlers.ToDictionary(h => h.EntityType);

    public async Task<IReadOnlyList<ClaimedTimer>> ClaimDueAsync(int max, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, """
            with due as (
                select entity_type, entity_id, kind from timers
                 where due_at <= @now and (lease_until is null or lease_until < @now)
                 order by due_at limit @max
                 for update skip locked)
            update timers t set lease_owner = @node, lease_until = @until
              from due where t.entity_type = due.entity_type and t.entity_id = due.entity_id and t.kind = due.kind
            returning t.entity_type, t.entity_id, t.kind, t.generation
            """, r => new ClaimedTimer(r.GetString(0), r.GetGuid(1), r.GetString(2), r.GetInt64(3)), ct,
            ("now", now), ("max", max), ("node", node.Id), ("until", now + options.Value.TimerLease));
    }

    /// <summary>Fires a claimed timer. False when it is no longer ours: rescheduled (new generation), cancelled, or re-claimed after our lease ran out.</summary>
    public Task<bool> FireAsync(ClaimedTimer t, CancellationToken ct) => runtime.CallAsync(async (conn, tx, ct2) =>
    {
        var deleted = await Sql.ExecAsync(conn, tx, """
            delete from timers where entity_type = @t and entity_id = @i and kind = @k and generation = @g and lease_owner = @node
            """, ct2, ("t", t.EntityType), ("i", t.EntityId), ("k", t.Kind), ("g", t.Generation), ("node", node.Id));
        if (deleted == 0) return false;
        if (!_handlers.TryGetValue(t.EntityType, out var handler))
            throw new InvalidOperationException($"No timer handler for entity type '{t.EntityType}'.");
        await handler.FireAsync(conn, tx, t.EntityId, t.Kind, clock.GetUtcNow(), ct2);
        return true;
    }, ct);

    /// <summary>Claims and fires everything due now; returns how many fired.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        var fired = 0;
        while (true)
        {
            var claimed = await ClaimDueAsync(100, ct);
            foreach (var t in claimed)
                if (await FireAsync(t, ct)) fired++;
            if (claimed.Count < 100) return fired;
        }
    }
}
