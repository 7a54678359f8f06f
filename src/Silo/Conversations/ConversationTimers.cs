using Engine.Grains.Conversations;
using Engine.Grains.Deadlines;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Assignment;
using Engine.Silo.Audit;
using Engine.Silo.Runtime;
using Engine.Silo.Team;
using Npgsql;

namespace Engine.Silo.Conversations;

/// <summary>
/// Fires a conversation's due deadlines for its grain: in one transaction, on the state read in it, the lock's and the
/// window's through <see cref="ConversationRules.TimerDue"/>, the alert checks through <see cref="Alerts.Alerts"/> and
/// the queue's through <see cref="QueueWatch"/>,
/// then writes the state back fenced by its version — so a deadline delivered twice (a timer and the sweep, a
/// duplicate activation) fires once: the second delivery finds it gone.
/// </summary>
public sealed class ConversationDeadlineStore(
    NpgsqlDataSource db, Transactions runtime, Alerts.Alerts alerts, TimeProvider clock) : IConversationDeadlines
{
    public async Task<DeadlineFiring> FireDueAsync(Guid id, CancellationToken ct)
    {
        // Most deliveries find nothing due (a command re-arming its grain, a timer racing the sweep): a plain read.
        ConversationState? state;
        await using (var conn = await db.OpenConnectionAsync(ct))
            state = await ConversationStore.LoadAsync(conn, null, id, ct);
        if (state is null) return DeadlineFiring.None;
        if (DeadlinePlan.Due(state.Deadlines, clock.GetUtcNow()).Count == 0) return new(0, state.Deadlines);
        return await runtime.CallAsync((conn, tx, ct2) => FireInAsync(conn, tx, id, ct2), ct);
    }

    private async Task<DeadlineFiring> FireInAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id,
        CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var state = await ConversationStore.LoadAsync(conn, tx, id, ct);
        if (state is null) return DeadlineFiring.None;
        var due = DeadlinePlan.Due(state.Deadlines, now);
        if (due.Count == 0) return new(0, state.Deadlines);

        var batch = new NpgsqlBatch(conn, tx);
        var effects = new Effects();
        var locks = due.All(ConversationTimers.IsCheck)
            ? LockPolicy.Default : await BusinessSettings.LockPolicyAsync(conn, tx, state.BusinessId, ct);
        var (decision, steps) = ConversationDeadlines.Fire(state, due, locks, now);
        // Idle release hands the conversation back to its queue: the agent's load goes with it.
        await AgentLoad.ApplyAsync(conn, tx, null, state, decision.State, AgentLoad.Limit.Capacity, now, ct);
        foreach (var (kind, before, after) in steps)
            if (after.LockHolder != before.LockHolder || after.AssigneeId != before.AssigneeId || after.Status != before.Status)
                batch.BatchCommands.Add(AuditLog.Entry(Actor.System(state.BusinessId),
                    after.Status != before.Status ? "conversation.resolved" : $"conversation.{kind}", "conversation", state.Id,
                    new { before.LockHolder, before.AssigneeId, Status = ConversationStore.StatusText(before.Status) },
                    new { after.LockHolder, after.AssigneeId, Status = ConversationStore.StatusText(after.Status), after.Resolution },
                    now));
        foreach (var kind in due.Where(ConversationTimers.IsCheck))
            if (await (ConversationTimers.IsAlert(kind)
                    ? alerts.CheckAsync(conn, tx, decision.State, kind, now, effects, ct)
                    : QueueWatch.CheckAsync(conn, tx, decision.State, kind, state.Deadlines[kind], now, effects, ct))
                is { } later)
                decision = decision with { Timers = [.. decision.Timers, TimerIntent.Schedule(kind, later)] };
        var (check, saved) = await ConversationStore.SaveAsync(conn, tx, batch, [decision], now, ct);
        effects.Add(ConversationStore.EntityType, state.Id, state.BusinessId, decision, now);
        effects.AppendTo(batch, now);
        await batch.ExecuteNonQueryAsync(ct);
        check();
        return new DeadlineFiring(due.Count, saved[0].Deadlines);
    }
}
