namespace Engine.Grains.Interfaces.Agents;

/// <summary>
/// One agent (key <c>agent:{userId}</c>): their activity, which keeps them online (online = activity within the last
/// 5 minutes). Every node reports an agent's requests here, and only this grain records them.
/// </summary>
[Alias("agent")]
public interface IAgentGrain : IGrainWithStringKey
{
    /// <summary>The agent did something (any authenticated request, or a heartbeat).</summary>
    [Alias("active")]
    Task Active();
}
