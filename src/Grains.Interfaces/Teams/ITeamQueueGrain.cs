namespace Engine.Grains.Interfaces.Teams;

/// <summary>
/// One team's queue (key <c>team:{teamId}</c>): claims are taken one at a time for the whole cluster, in the queue's
/// order (VIP first, then longest waiting), so two agents claiming at once never get the same conversation and never
/// skip the head of the queue.
/// </summary>
[Alias("team-queue")]
public interface ITeamQueueGrain : IGrainWithStringKey
{
    /// <summary>The conversation a claim for the next one would get now (null when none waits).</summary>
    [Alias("head")]
    Task<QueuedConversation?> Head();

    /// <summary>Claim <see cref="ClaimRequest.Conversation"/>, or the head of the queue when it is null.</summary>
    [Alias("claim")]
    Task<ClaimOutcome> Claim(ClaimRequest request);
}

/// <summary>A conversation waiting in a team's queue, with what orders it.</summary>
[GenerateSerializer, Immutable, Alias("queued-conversation")]
public sealed record QueuedConversation([property: Id(0)] Guid Id, [property: Id(1)] int Priority, [property: Id(2)] DateTimeOffset QueuedAt);

/// <summary>Who claims (the agent, and how they authenticated, for the audit) and what.</summary>
[GenerateSerializer, Immutable, Alias("claim-request")]
public sealed record ClaimRequest(
    [property: Id(0)] Guid Agent,
    [property: Id(1)] Guid? Conversation,
    [property: Id(2)] Conversations.CommandActor Actor);

/// <summary>The claimed conversation, or why not (<see cref="Code"/>: not_waiting, not_your_team…); neither: none
/// waits.</summary>
[GenerateSerializer, Immutable, Alias("claim-outcome")]
public sealed record ClaimOutcome([property: Id(0)] Guid? Conversation, [property: Id(1)] string? Code = null, [property: Id(2)] string? Detail = null);
