namespace Engine.Grains.Interfaces.Conversations;

public static class Strategies
{
    public const string RoundRobin = "round_robin";
    public const string LeastOpen = "least_open";
    public const string RoundRobinOnline = "round_robin_online";
    public const string Manual = "manual";
    public static readonly string[] All = [RoundRobin, LeastOpen, RoundRobinOnline, Manual];
}

public static class Presence
{
    public const string Online = "online", Away = "away", Busy = "busy", Offline = "offline";
    public static readonly string[] All = [Online, Away, Busy, Offline];
}

/// <summary>An agent as assignment sees them.</summary>
public sealed record AgentCandidate(
    Guid Id, string Presence, DateTimeOffset? LastActiveAt, int Load, int Capacity,
    IReadOnlyList<string> Skills, IReadOnlyList<string> Languages, string Tier, DateTimeOffset? LastAssignedAt);

/// <summary>What one conversation asks of its agent.</summary>
public sealed record AssignmentRequest(
    string Strategy,
    IReadOnlyList<string> RequiredSkills,
    string? Language,
    string? RequiredTier,
    Guid? DedicatedAgent,
    Guid? LastAgent,
    DateTimeOffset? LastServedAt);

/// <summary>Who gets it and why (auto, sticky, dedicated).</summary>
public sealed record AssignmentChoice(Guid AgentId, string Via);
