using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Teams;

namespace Engine.Grains.Teams;

/// <summary>What a claim's commit found: the conversation is the claimant's now, it no longer waits, or it is
/// refused.</summary>
public enum ClaimCommit { Claimed, NotWaiting, Refused }

/// <summary>Where the team queue reads who waits and commits a claim (the Silo implements it on the
/// conversations).</summary>
public interface ITeamQueueStore
{
    Task<IReadOnlyList<QueuedConversation>> WaitingAsync(Guid team, CancellationToken ct);

    /// <summary>Assigns the conversation to the claimant if it still waits (fenced in the database too).</summary>
    Task<(ClaimCommit Commit, string? Code, string? Detail)> CommitClaimAsync(
        Guid team, Guid conversation, ClaimRequest request, CancellationToken ct);

    /// <summary>Assigns waiting conversations in the queue's order to the agents the team's strategy picks, while one
    /// can take one (each fenced in the database too).</summary>
    Task<IReadOnlyList<Assigned>> DrainAsync(Guid team, CancellationToken ct);
}

/// <summary>The queue's order: VIP (higher priority) first, then the longest waiting, then by id for a stable
/// tie.</summary>
public static class TeamQueueOrder
{
    public static IEnumerable<QueuedConversation> Order(IEnumerable<QueuedConversation> waiting) =>
        waiting.OrderByDescending(w => w.Priority).ThenBy(w => w.QueuedAt).ThenBy(w => w.Id);

    /// <summary>True when <paramref name="a"/> is served before <paramref name="b"/>.</summary>
    public static bool Before(QueuedConversation a, QueuedConversation b) =>
        a.Priority != b.Priority ? a.Priority > b.Priority
        : a.QueuedAt != b.QueuedAt ? a.QueuedAt < b.QueuedAt
        : a.Id.CompareTo(b.Id) < 0;
}

/// <summary>
/// A team's queue. The grain's single-threaded turns are the queue's lock for the whole cluster: each claim reads who
/// waits now, walks them in order, and commits the first that still waits; each drain (a conversation entered the
/// queue, an agent came online or freed a slot, the silos' sweep) assigns in order while agents can take one. The
/// database's conditional updates fence a duplicate activation during a membership change.
/// </summary>
public sealed class TeamQueueGrain(ITeamQueueStore store) : Grain, ITeamQueueGrain
{
    private const int Attempts = 5;
    private static readonly ClaimOutcome NotWaiting =
        new(null, "not_waiting", "The conversation is not waiting in a queue.");

    private Guid Team => GrainKeys.IdOf(this.GetPrimaryKeyString());

    public async Task<QueuedConversation?> Head() =>
        TeamQueueOrder.Order(await store.WaitingAsync(Team, CancellationToken.None)).FirstOrDefault();

    public Task<IReadOnlyList<Assigned>> Drain() => store.DrainAsync(Team, CancellationToken.None);

    public async Task<ClaimOutcome> Claim(ClaimRequest request)
    {
        if (request.Conversation is { } wanted)
        {
            var (commit, code, detail) = await store.CommitClaimAsync(Team, wanted, request, CancellationToken.None);
            return commit switch
            {
                ClaimCommit.Claimed => new ClaimOutcome(wanted),
                ClaimCommit.NotWaiting => NotWaiting,
                _ => new ClaimOutcome(null, code, detail),
            };
        }
        var waiting = await store.WaitingAsync(Team, CancellationToken.None);
        foreach (var next in TeamQueueOrder.Order(waiting).Take(Attempts))
        {
            var (commit, code, detail) = await store.CommitClaimAsync(Team, next.Id, request, CancellationToken.None);
            if (commit == ClaimCommit.Claimed) return new ClaimOutcome(next.Id);
            if (commit == ClaimCommit.Refused) return new ClaimOutcome(null, code, detail);
        }
        return new ClaimOutcome(null);
    }
}
