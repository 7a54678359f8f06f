using Engine.Grains.Assignment;

namespace Engine.Grains.Agents;

/// <summary>An agent's capacity and load as stored: their open assigned conversations, not counting those the grain
/// holds seats for.</summary>
public sealed record AgentLoadView(int Capacity, int Load, bool Enabled);

/// <summary>Where the agent grain reads the agent's capacity and load and records their latest assignment (the Silo:
/// the user's row and their open conversations).</summary>
public interface IAgentLoadStore
{
    Task<AgentLoadView?> ReadAsync(Guid userId, IReadOnlyCollection<Guid> excluding, CancellationToken ct);

    Task AssignedAsync(Guid userId, DateTimeOffset at, CancellationToken ct);
}

/// <summary>
/// The seats an agent's grain holds for assignments in flight, and whether one more fits: capacity for an assignment
/// by a person (or a claim), 80% of it for an automatic one (<see cref="AssignmentRules.UnderAutoLimit"/>).
/// </summary>
public sealed class AgentSeats
{
    /// <summary>How long a seat is held without a release: longer than any assignment's transaction.</summary>
    public static readonly TimeSpan Hold = TimeSpan.FromSeconds(30);

    private readonly Dictionary<Guid, DateTimeOffset> _held = [];

    public IReadOnlyCollection<Guid> Held => _held.Keys;

    /// <summary>Forgets lapsed seats and any earlier seat of this conversation (a transaction run again holds
    /// again).</summary>
    public void Prepare(Guid conversation, DateTimeOffset now)
    {
        foreach (var (c, until) in _held.ToList())
            if (until <= now || c == conversation) _held.Remove(c);
    }

    public static bool Fits(AgentLoadView agent, int held, bool automatic)
    {
        var load = agent.Load + held;
        return agent.Enabled && (automatic ? AssignmentRules.UnderAutoLimit(load, agent.Capacity) : load < agent.Capacity);
    }

    public void Take(Guid conversation, DateTimeOffset now) => _held[conversation] = now + Hold;

    public bool Release(Guid conversation) => _held.Remove(conversation);
}
