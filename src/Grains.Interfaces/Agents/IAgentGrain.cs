namespace Engine.Grains.Interfaces.Agents;

/// <summary>
/// One agent (key <c>agent:{userId}</c>): their activity, which keeps them online (online = activity within the last
/// 5 minutes), and their presence. Every node reports an agent's requests and presence changes here, and only this
/// grain records them.
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
}
