using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Deadlines;
using Engine.Grains.Interfaces.Teams;

namespace Engine.Grains.Teams;

/// <summary>Where the team queue reads who waits and whether anyone could take one (the Silo implements it on the
/// conversations and the agents).</summary>
public interface ITeamQueueStore
{
    Task<IReadOnlyList<QueuedConversation>> WaitingAsync(Guid team, CancellationToken ct);

    /// <summary>Whether the queue offers now: the team's hours are open (outside them it waits, and is offered when
    /// they open) and some agent of the team's business could be given a conversation (<see
    /// cref="Assignment.AssignmentRules.MightTakeMore"/>): a drain with nobody to give to commits nothing.</summary>
    Task<bool> OffersNowAsync(Guid team, CancellationToken ct);
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
/// A team's queue. The grain's single-threaded turns are the queue's order for the whole cluster: each claim reads who
/// waits now, walks them in order, and has the first that still waits committed to the claimant by its conversation's
/// grain; each drain (a conversation entered the queue, an agent came online or freed a slot, the silos' sweep) offers
/// the waiting conversations in order, each through its conversation's grain, which picks the agent and commits. The
/// database's conditional updates fence a duplicate activation during a membership change.
/// </summary>
public sealed class TeamQueueGrain(ITeamQueueStore store) : Grain, ITeamQueueGrain
{
    private const int Attempts = 5;
    private static readonly ClaimOutcome NotWaiting =
        new(null, "not_waiting", "The conversation is not waiting in a queue.");

    /// <summary>The queue acting on its own (an offer): the conversation's business is the one audited.</summary>
    private static readonly CommandActor Queue = new("system", "engine", "engine", Guid.Empty, "Administrator", null);

    private Guid Team => GrainKeys.IdOf(this.GetPrimaryKeyString());

    private IConversationGrain Conversation(Guid id) =>
        GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Conversation(id));

    public async Task<QueuedConversation?> Head() =>
        TeamQueueOrder.Order(await store.WaitingAsync(Team, CancellationToken.None)).FirstOrDefault();

    public async Task<IReadOnlyList<Assigned>> Drain()
    {
        if (!await store.OffersNowAsync(Team, CancellationToken.None)) return [];
        var assigned = new List<Assigned>();
        foreach (var next in TeamQueueOrder.Order(await store.WaitingAsync(Team, CancellationToken.None)))
        {
            var outcome = await Conversation(next.Id).Run(new ConversationCommand(CommandKind.Offer, Queue, TeamId: Team));
            if (outcome.AgentId is { } agent) assigned.Add(new Assigned(next.Id, agent));
        }
        return assigned;
    }

    public async Task<ClaimOutcome> Claim(ClaimRequest request)
    {
        if (request.Conversation is { } wanted) return await CommitClaimAsync(wanted, request) ?? NotWaiting;
        var waiting = await store.WaitingAsync(Team, CancellationToken.None);
        foreach (var next in TeamQueueOrder.Order(waiting).Take(Attempts))
            if (await CommitClaimAsync(next.Id, request) is { } outcome) return outcome;
        return new ClaimOutcome(null);
    }

    /// <summary>Claimed or refused; null when it no longer waits (another agent or an offer got it first).</summary>
    private async Task<ClaimOutcome?> CommitClaimAsync(Guid conversation, ClaimRequest request)
    {
        var outcome = await Conversation(conversation).Run(
            new ConversationCommand(CommandKind.Claim, request.Actor, AgentId: request.Agent, TeamId: Team));
        return outcome.Code switch
        {
            null => new ClaimOutcome(conversation),
            "not_waiting" => null,
            var code => new ClaimOutcome(null, code, outcome.Detail),
        };
    }
}
