namespace Engine.Grains.Interfaces.Conversations;

/// <summary>What people do to a conversation; each runs in the conversation's grain, one at a time with its deadlines.</summary>
[GenerateSerializer, Alias("command-kind")]
public enum CommandKind { Lock, Unlock, Assign, Transfer, Escalate, Resolve, Reopen, Note }

/// <summary>Who acts (as authenticated), for the access check and the audit.</summary>
[GenerateSerializer, Immutable, Alias("command-actor")]
public sealed record CommandActor(
    [property: Id(0)] string Type,
    [property: Id(1)] string Id,
    [property: Id(2)] string? Name,
    [property: Id(3)] Guid BusinessId,
    [property: Id(4)] string Role,
    [property: Id(5)] Guid? UserId);

/// <summary>A command with its arguments: the agent (assign, transfer), the team (transfer), the comment or note text.</summary>
[GenerateSerializer, Immutable, Alias("conversation-command")]
public sealed record ConversationCommand(
    [property: Id(0)] CommandKind Kind,
    [property: Id(1)] CommandActor Actor,
    [property: Id(2)] Guid? AgentId = null,
    [property: Id(3)] Guid? TeamId = null,
    [property: Id(4)] string? Text = null);

/// <summary>Done (with the note's id for a note), or refused with a machine-readable <see cref="Code"/> (and, for a lock,
/// who holds it until when, as JSON).</summary>
[GenerateSerializer, Immutable, Alias("command-outcome")]
public sealed record CommandOutcome(
    [property: Id(0)] string? Code = null,
    [property: Id(1)] string? Detail = null,
    [property: Id(2)] Guid? NoteId = null,
    [property: Id(3)] string? DataJson = null);
