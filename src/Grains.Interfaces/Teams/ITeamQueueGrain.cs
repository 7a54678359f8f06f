namespace Engine.Grains.Interfaces.Teams;

/// <summary>
/// One team's queue (key <c>team:{teamId}</c>): claims and automatic assignment are worked one at a time for the whole
/// cluster, in the queue's order (VIP first, then longest waiting), so two agents claiming at once never get the same
/// conversation, never skip the head of the queue, and an offer racing a claim cannot give one conversation twice.
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

    /// <summary>Automatic assignment: assigns waiting conversations in order while an agent can take one; returns what
    /// went to whom.</summary>
    [Alias("drain")]
    Task<IReadOnlyList<Assigned>> Drain();
}

/// <summary>A conversation automatic assignment gave to an agent.</summary>
[GenerateSerializer, Immutable, Alias("assigned")]
public sealed record Assigned([property: Id(0)] Guid Conversation, [property: Id(1)] Guid Agent);

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
