using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Assignment;

/// <summary>
/// Each agent's open-conversation count, kept in the same transaction as every change of assignee or
/// status, so two nodes assigning at once can never push an agent past a limit: the increment is a
/// single conditional UPDATE (check and act in one statement).
/// </summary>
public static class AgentLoad
{
    public enum Limit { Auto, Capacity }

    private static Guid? Holder(ConversationState s) => s.Status == ConversationStatus.Open ? s.AssigneeId : null;

    /// <summary>Moves the load from the old assignee to the new one. Throws capacity_reached when the new one is full; false when over the automatic limit.</summary>
    public static async Task<bool> ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ConversationState before, ConversationState after,
        Limit limit, DateTimeOffset now, CancellationToken ct)
    {
        var (from, to) = (Holder(before), Holder(after));
        if (from == to) return true;
        if (to is { } agent)
        {
            var condition = limit == Limit.Auto ? "open_load * 5 < capacity * 4" : "open_load < capacity";
            var taken = await Sql.ExecAsync(conn, tx, $"""
                update users set open_load = open_load + 1, last_assigned_at = @now, updated_at = @now
                 where id = @a and disabled_at is null and {condition}
                """, ct, ("a", agent), ("now", now));
            if (taken == 0)
            {
                if (limit == Limit.Auto) return false;
                throw new RefusedException("capacity_reached", "The agent has no free capacity.");
            }
        }
        if (from is { } previous)
        {
            await Sql.ExecAsync(conn, tx, "update users set open_load = greatest(open_load - 1, 0), updated_at = @now where id = @a", ct, ("a", previous), ("now", now));
            await AssignmentTriggers.DrainTeamsOfAsync(conn, tx, previous, now, ct); // freed capacity: their queues may have work
        }
        return true;
    }
}
