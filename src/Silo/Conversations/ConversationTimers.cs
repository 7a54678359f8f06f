using Engine.Grains.Conversations;
using Engine.Silo.Assignment;
using Engine.Silo.Audit;
using Engine.Silo.Runtime;
using Engine.Silo.Team;
using Npgsql;

namespace Engine.Silo.Conversations;

/// <summary>Delivers due timers into the conversation grain, within the firing transaction.</summary>
public sealed class ConversationTimerHandler : ITimerHandler
{
    public string EntityType => ConversationStore.EntityType;

    public async Task FireAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid entityId, string kind, DateTimeOffset now, CancellationToken ct)
    {
        var state = await ConversationStore.LoadAsync(conn, tx, entityId, ct);
        if (state is null) return;
        var decision = ConversationRules.TimerDue(state, kind, await BusinessSettings.LockPolicyAsync(conn, tx, state.BusinessId, ct), now);
        if (!decision.Changed) return;
        // Idle release hands the conversation back to its queue: the agent's load goes with it.
        await AgentLoad.ApplyAsync(conn, tx, state, decision.State, AgentLoad.Limit.Capacity, now, ct);
        var batch = new NpgsqlBatch(conn, tx);
        if (decision.State.LockHolder != state.LockHolder || decision.State.AssigneeId != state.AssigneeId)
            batch.BatchCommands.Add(AuditLog.Entry(Actor.System(state.BusinessId), $"conversation.{kind}", "conversation", state.Id,
                new { state.LockHolder, state.AssigneeId }, new { decision.State.LockHolder, decision.State.AssigneeId }, now));
        var check = ConversationStore.Save(batch, [decision.State]);
        var effects = new Effects();
        effects.Add(EntityType, state.Id, state.BusinessId, decision, now);
        effects.AppendTo(batch, now);
        await batch.ExecuteNonQueryAsync(ct);
        check();
    }
}
