using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Agents;

namespace Engine.Grains.Agents;

/// <summary>Where the agent grain records activity (the Silo: the user's row, and the drain of their queues when they
/// come online).</summary>
public interface IAgentActivity
{
    Task RecordAsync(Guid userId, CancellationToken ct);

    /// <summary>Presence set (with the activity it implies), logged for the online-hours report and audited.</summary>
    Task SetPresenceAsync(Guid userId, string presence, Engine.Grains.Interfaces.Conversations.CommandActor actor, CancellationToken ct);
}

/// <summary>How often an agent's activity is written: online means active within 5 minutes, so every 30 seconds is
/// plenty.</summary>
public static class ActivityRecording
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(30);

    /// <summary>A first activity, one 30 s after the last recorded, or one after the clock moved back is
    /// recorded.</summary>
    public static bool Due(DateTimeOffset? lastRecorded, DateTimeOffset now) =>
        lastRecorded is not { } last || now - last >= Every || now < last;
}

/// <summary>
/// The agent's grain: one place for the cluster to decide when an agent's activity is written, instead of each node
/// throttling its own requests (with several nodes behind a balancer every node wrote); and the one place that lets an
/// assignment take a seat of the agent's capacity, one at a time, with the seats it holds for assignments in flight
/// (their conversations are not committed yet, so the load read from the store cannot count them).
/// </summary>
public sealed class AgentGrain(IAgentActivity activity, IAgentLoadStore loads, TimeProvider clock) : Grain, IAgentGrain
{
    private DateTimeOffset? _recorded;
    private readonly AgentSeats _seats = new();

    private Guid UserId => GrainKeys.IdOf(this.GetPrimaryKeyString());

    public async Task<bool> HoldSeat(Guid conversation, bool automatic)
    {
        var now = clock.GetUtcNow();
        _seats.Prepare(conversation, now);
        var agent = await loads.ReadAsync(UserId, [.. _seats.Held, conversation], CancellationToken.None);
        if (agent is null || !AgentSeats.Fits(agent, _seats.Held.Count, automatic)) return false;
        _seats.Take(conversation, now);
        return true;
    }

    public async Task ReleaseSeat(Guid conversation, bool assigned)
    {
        _seats.Release(conversation);
        if (assigned) await loads.AssignedAsync(UserId, clock.GetUtcNow(), CancellationToken.None);   // round robin's turn
    }

    public async Task Active()
    {
        var now = clock.GetUtcNow();
        if (!ActivityRecording.Due(_recorded, now)) return;
        await activity.RecordAsync(GrainKeys.IdOf(this.GetPrimaryKeyString()), CancellationToken.None);
        _recorded = now;
    }

    public async Task SetPresence(string presence, Engine.Grains.Interfaces.Conversations.CommandActor actor)
    {
        await activity.SetPresenceAsync(GrainKeys.IdOf(this.GetPrimaryKeyString()), presence, actor, CancellationToken.None);
        _recorded = clock.GetUtcNow();   // the presence write recorded the activity too
    }
}
