using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Agents;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Engine.Silo.Assignment;

/// <summary>
/// An agent's load is their open assigned conversations: counted from the conversations (<see cref="OpenLoadSql"/>),
/// never kept apart. An assignment takes a seat from the agent's grain before it writes (<see cref="SeatHolds"/>), so
/// two nodes assigning at once cannot take an agent past a limit; a conversation leaving an agent frees the seat when
/// its write commits.
/// </summary>
public static class AgentLoad
{
    public enum Limit { Auto, Capacity }

    /// <summary>The load of user <c>u</c>, as a select expression.</summary>
    public const string OpenLoadSql =
        "(select count(*) from conversations c where c.assignee_id = u.id and c.status = 'open')::int";

    private static Guid? Holder(ConversationState s) => s.Status == ConversationStatus.Open ? s.AssigneeId : null;

    /// <summary>
    /// The change of holder from <paramref name="before"/> to <paramref name="after"/>: a new holder's seat is held on
    /// their grain (throws capacity_reached when they are full; false when over the automatic limit); an old holder's
    /// freed capacity drains their teams' queues once this commits.
    /// </summary>
    public static async Task<bool> ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, SeatHolds? seats,
        ConversationState before, ConversationState after, Limit limit, DateTimeOffset now, CancellationToken ct)
    {
        var (from, to) = (Holder(before), Holder(after));
        if (from == to) return true;
        if (to is { } agent)
        {
            if (seats is null) throw new InvalidOperationException("An assignment must hold the agent's seat.");
            if (!await seats.HoldAsync(agent, after.Id, limit == Limit.Auto))
            {
                if (limit == Limit.Auto) return false;
                throw new RefusedException("capacity_reached", "The agent has no free capacity.");
            }
        }
        if (from is { } previous)
            await AssignmentTriggers.DrainTeamsOfAsync(conn, tx, previous, now, ct); // freed capacity: their queues may have work
        return true;
    }
}

/// <summary>
/// The seats one assignment's transaction held on agents' grains, released when it ends: the seat of the agent it
/// assigned is then counted by the committed conversation. A transaction run again holds again (the grain keeps one
/// seat per conversation); a release that fails lets the seat lapse.
/// </summary>
public sealed class SeatHolds(IGrainFactory grains, ILogger log)
{
    private readonly HashSet<(Guid Agent, Guid Conversation)> _held = [];

    public async Task<bool> HoldAsync(Guid agent, Guid conversation, bool automatic)
    {
        if (!await grains.GetGrain<IAgentGrain>(GrainKeys.Agent(agent)).HoldSeat(conversation, automatic)) return false;
        _held.Add((agent, conversation));
        return true;
    }

    /// <summary>Runs <paramref name="work"/> (a transaction) with seat holds, and releases them after it: the one whose
    /// agent <paramref name="assigned"/> names as committed.</summary>
    public static async Task<T> RunAsync<T>(IGrainFactory grains, ILogger log, Func<SeatHolds, Task<T>> work,
        Func<T, Guid?> assigned)
    {
        var seats = new SeatHolds(grains, log);
        T result;
        try { result = await work(seats); }
        catch
        {
            await seats.ReleaseAsync(null);
            throw;
        }
        await seats.ReleaseAsync(assigned(result));
        return result;
    }

    private async Task ReleaseAsync(Guid? assigned)
    {
        foreach (var (agent, conversation) in _held)
        {
            try { await grains.GetGrain<IAgentGrain>(GrainKeys.Agent(agent)).ReleaseSeat(conversation, agent == assigned); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Releasing agent {Agent}'s seat failed; it lapses.", agent);
            }
        }
        _held.Clear();
    }
}
