namespace Engine.Grains.Interfaces.Agents;

/// <summary>
/// One agent (key <c>agent:{userId}</c>): their activity, which keeps them online (online = activity within the last
/// 5 minutes), their presence, and their capacity: every assignment to them holds a seat here first, so two nodes
/// assigning at once cannot take them past their capacity (or, automatically, past 80% of it). Every node reports an
/// agent's requests and presence changes here, and only this grain records them.
/// </summary>
[Alias("agent")]
public interface IAgentGrain : IGrainWithStringKey
{
    /// <summary>The agent did something (any authenticated request, or a heartbeat).</summary>
    [Alias("active")]
    Task Active();

    /// <summary>The agent set their presence (online, away, busy, offline; by <paramref name="actor"/>, for the audit).
    /// It counts as activity; coming online offers them their teams' waiting conversations.</summary>
    [Alias("set-presence")]
    Task SetPresence(string presence, Conversations.CommandActor actor);

    /// <summary>
    /// Holds a seat for <paramref name="conversation"/> if the agent can take one more: enabled, and their load (their
    /// open assigned conversations, with the seats held) under their capacity — under 80% of it when the assignment is
    /// <paramref name="automatic"/>. The seat counts until <see cref="ReleaseSeat"/>; one left by a caller that died
    /// lapses after <c>AgentSeats.Hold</c>.
    /// </summary>
    [Alias("hold-seat")]
    Task<bool> HoldSeat(Guid conversation, bool automatic);

    /// <summary>The assignment that held the seat ended: committed (<paramref name="assigned"/>: the conversation now
    /// counts in the agent's load, and is their latest assignment) or not.</summary>
    [Alias("release-seat")]
    Task ReleaseSeat(Guid conversation, bool assigned);
}
