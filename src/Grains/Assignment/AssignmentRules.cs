using Engine.Grains.Interfaces.Conversations;

namespace Engine.Grains.Assignment;

/// <summary>
/// Who takes a waiting conversation. An agent is online when their status is online and they acted
/// in the last 5 minutes; an agent whose load has reached 80% of capacity gets nothing new
/// automatically. A VIP's dedicated agent comes first, then the agent who served the customer within
/// 72 hours (sticky ownership), then the team's strategy.
/// </summary>
public static class AssignmentRules
{
    public static readonly TimeSpan OnlineWindow = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan StickyWindow = TimeSpan.FromHours(72);

    public static bool IsOnline(AgentCandidate a, DateTimeOffset now) =>
        a.Presence == Presence.Online && a.LastActiveAt is { } t && now - t < OnlineWindow;

    /// <summary>Load below 80% of capacity (3/5 yes, 4/5 no).</summary>
    public static bool UnderAutoLimit(int load, int capacity) => load * 5 < capacity * 4;

    public static string LoadText(int load, int capacity) => $"{load}/{capacity}";

    /// <summary>Whether <see cref="Choose"/> could pick this agent for some conversation: under the 80% limit and not
    /// offline (every path asks at least that).</summary>
    public static bool MightTakeMore(AgentCandidate a) =>
        UnderAutoLimit(a.Load, a.Capacity) && a.Presence != Presence.Offline;

    public static AssignmentChoice? Choose(AssignmentRequest r, IReadOnlyList<AgentCandidate> members, IReadOnlyList<AgentCandidate> outsiders, DateTimeOffset now, TimeSpan? stickyWindow = null)
    {
        bool Available(AgentCandidate a) => IsOnline(a, now) && UnderAutoLimit(a.Load, a.Capacity);
        // An escalated conversation goes up a tier: the dedicated agent and the sticky owner only at that tier or above.
        bool Personal(AgentCandidate a) => Available(a) && HasTier(a, r.RequiredTier);
        var everyone = members.Concat(outsiders).ToList();

        if (r.DedicatedAgent is { } d && everyone.FirstOrDefault(a => a.Id == d) is { } dedicated && Personal(dedicated))
            return new(dedicated.Id, "dedicated");
        if (r.LastAgent is { } last && r.LastServedAt is { } served && now - served < (stickyWindow ?? StickyWindow)
            && everyone.FirstOrDefault(a => a.Id == last) is { } sticky && Personal(sticky))
            return new(sticky.Id, "sticky");

        var eligible = members.Where(a => UnderAutoLimit(a.Load, a.Capacity) && Qualified(a, r)).ToList();
        AgentCandidate? pick = r.Strategy switch
        {
            // Fair lead distribution: the agent assigned longest ago, whether or not they are at their desk.
            Strategies.RoundRobin => eligible.Where(a => a.Presence != Presence.Offline).OrderBy(a => a.LastAssignedAt ?? DateTimeOffset.MinValue).ThenBy(a => a.Id).FirstOrDefault(),
            Strategies.RoundRobinOnline => eligible.Where(a => IsOnline(a, now)).OrderBy(a => a.LastAssignedAt ?? DateTimeOffset.MinValue).ThenBy(a => a.Id).FirstOrDefault(),
            Strategies.LeastOpen => eligible.Where(a => IsOnline(a, now)).OrderBy(a => a.Load).ThenBy(a => a.LastAssignedAt ?? DateTimeOffset.MinValue).ThenBy(a => a.Id).FirstOrDefault(),
            _ => null, // manual: an editor assigns, or agents claim
        };
        return pick is null ? null : new(pick.Id, "auto");
    }

    public static bool Qualified(AgentCandidate a, AssignmentRequest r) =>
        r.RequiredSkills.All(s => a.Skills.Contains(s, StringComparer.OrdinalIgnoreCase))
        && (r.Language is null || a.Languages.Contains(r.Language, StringComparer.OrdinalIgnoreCase))
        && HasTier(a, r.RequiredTier);

    public static bool HasTier(AgentCandidate a, string? required) =>
        required is null || TierRank(a.Tier) >= TierRank(required);

    public static int TierRank(string tier) => Array.IndexOf(Engine.Grains.Conversations.ConversationRules.Tiers, tier);
}
