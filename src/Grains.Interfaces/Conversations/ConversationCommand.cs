namespace Engine.Grains.Interfaces.Conversations;

/// <summary>What people do to a conversation, what its team's queue does to it (<see cref="Offer"/>: automatic
/// assignment; <see cref="Claim"/>: an agent claims it), and what changes to its customer imply for it
/// (<see cref="Prioritise"/>: VIP or not; <see cref="Convert"/>: a CRM conversion); each runs in the conversation's
/// grain, one at a time with its deadlines.</summary>
[GenerateSerializer, Alias("command-kind")]
public enum CommandKind
{
    Lock, Unlock, Assign, Transfer, Escalate, Resolve, Reopen, Note, Label, Unlabel, Offer, Claim, Prioritise, Convert,
}

/// <summary>Who acts (as authenticated), for the access check and the audit.</summary>
[GenerateSerializer, Immutable, Alias("command-actor")]
public sealed record CommandActor(
    [property: Id(0)] string Type,
    [property: Id(1)] string Id,
    [property: Id(2)] string? Name,
    [property: Id(3)] Guid BusinessId,
    [property: Id(4)] string Role,
    [property: Id(5)] Guid? UserId);

/// <summary>A command with its arguments: the agent (assign, transfer, claim), the team (transfer; the queue it waits
/// in for offer and claim), the comment or note text, the label (label, unlabel), the queue priority (prioritise), the
/// moment it happened (convert).</summary>
[GenerateSerializer, Immutable, Alias("conversation-command")]
public sealed record ConversationCommand(
    [property: Id(0)] CommandKind Kind,
    [property: Id(1)] CommandActor Actor,
    [property: Id(2)] Guid? AgentId = null,
    [property: Id(3)] Guid? TeamId = null,
    [property: Id(4)] string? Text = null,
    [property: Id(5)] Guid? LabelId = null,
    [property: Id(6)] int? Priority = null,
    [property: Id(7)] DateTimeOffset? At = null);

/// <summary>Done (with the note's id for a note, the agent an offer went to), or refused with a machine-readable
/// <see cref="Code"/> (and, for a lock, who holds it until when, as JSON).</summary>
[GenerateSerializer, Immutable, Alias("command-outcome")]
public sealed record CommandOutcome(
    [property: Id(0)] string? Code = null,
    [property: Id(1)] string? Detail = null,
    [property: Id(2)] Guid? NoteId = null,
    [property: Id(3)] string? DataJson = null,
    [property: Id(4)] Guid? AgentId = null);

/// <summary>A person's (or integrator's) reply: the message, the validation warnings to keep with it, the idempotency
/// key
/// and the request's fingerprint (the same key with another request is refused).</summary>
[GenerateSerializer, Immutable, Alias("send-command")]
public sealed record SendCommand(
    [property: Id(0)] CommandActor Actor,
    [property: Id(1)] Messaging.OutboundMessage Message,
    [property: Id(2)] IReadOnlyList<string> Warnings,
    [property: Id(3)] string? IdempotencyKey,
    [property: Id(4)] byte[]? Fingerprint);

/// <summary>The stored message (<see cref="Repeated"/> when the idempotency key had already sent it), or why
/// not.</summary>
[GenerateSerializer, Immutable, Alias("send-outcome")]
public sealed record SendOutcome(
    [property: Id(0)] Guid? MessageId,
    [property: Id(1)] bool Repeated = false,
    [property: Id(2)] string? Code = null,
    [property: Id(3)] string? Detail = null);
