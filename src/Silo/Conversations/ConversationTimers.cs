using Engine.Grains.Conversations;
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
        var state = await ConversationStore.LockAsync(conn, tx, entityId, ct);
        if (state is null) return;
        var decision = ConversationGrain.TimerDue(state, kind, await BusinessSettings.LockPolicyAsync(conn, tx, state.BusinessId, ct), now);
        if (!decision.Changed) return;
        var batch = new NpgsqlBatch(conn, tx);
        var check = ConversationStore.Save(batch, [decision.State]);
        var effects = new Effects();
        effects.Add(EntityType, state.Id, state.BusinessId, decision, now);
        effects.AppendTo(batch, now);
        await batch.ExecuteNonQueryAsync(ct);
        check();
    }
}
