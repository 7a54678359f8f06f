using System.Collections.Immutable;

namespace Engine.Grains.Interfaces.Conversations;

public enum ConversationStatus { Open, Resolved }

/// <summary>The conversation grain's state, persisted as a row fenced by <see cref="Version"/>.</summary>
public sealed record ConversationState(
    Guid Id,
    Guid BusinessId,
    Guid ChannelId,
    Guid ContactId,
    ConversationStatus Status,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset? LastInboundAt,
    DateTimeOffset? LastMessageAt,
    DateTimeOffset? WindowClosesAt,
    int UnreadCount,
    int MessageCount,
    int WindowSends,
    DateTimeOffset UpdatedAt,
    long Version,
    Guid? TeamId = null,
    Guid? AssigneeId = null,
    int Priority = 0,
    DateTimeOffset? QueuedAt = null,
    string? RequiredTier = null,
    DateTimeOffset? AssignedAt = null,
    DateTimeOffset? FirstHumanReplyAt = null,
    Guid? LockHolder = null,
    DateTimeOffset? LockUntil = null,
    DateTimeOffset? LockLastActionAt = null,
    int Handovers = 0,
    Guid? ReleasedFrom = null,
    string? BotOutcome = null,
    int BotReplies = 0,
    DateTimeOffset? AwaitingSince = null,
    DateTimeOffset? HandedOverAt = null)
{
    /// <summary>Waiting in a team's queue: open, routed to a team, nobody assigned.</summary>
    public bool IsQueued => Status == ConversationStatus.Open && TeamId is not null && AssigneeId is null;

    public bool IsLockedFor(Guid user, DateTimeOffset now) => LockHolder is { } h && h != user && LockUntil > now;

    /// <summary>The pending deadlines by kind (<see cref="ConversationTimers"/>): persisted with the rest of the state
    /// and fired by the conversation's grain.</summary>
    public ImmutableSortedDictionary<string, DateTimeOffset> Deadlines { get; init; } =
        ImmutableSortedDictionary<string, DateTimeOffset>.Empty;

    /// <summary>When the customer first converted (a CRM conversion) during this conversation.</summary>
    public DateTimeOffset? ConvertedAt { get; init; }

    /// <summary>How it ended: <see cref="Resolutions"/>.</summary>
    public string? Resolution { get; init; }

    /// <summary>The first response time in business time (seconds from opening, or the bot's hand-over, to the first
    /// person's reply, counting only the business's open hours).</summary>
    public double? FirstResponseSeconds { get; init; }
}

/// <summary>The business's collaboration and closing rules a conversation needs: lock length (5–15 min), idle release,
/// and how long the customer may stay silent after the agent spoke last before it is resolved as inactive.</summary>
public sealed record LockPolicy(TimeSpan LockLength, TimeSpan IdleRelease, TimeSpan InactiveAfter)
{
    public static readonly LockPolicy Default = new(TimeSpan.FromMinutes(7), TimeSpan.FromMinutes(3), TimeSpan.FromHours(24));
}

/// <summary>How a conversation ended.</summary>
public static class Resolutions
{
    /// <summary>Resolved by a person.</summary>
    public const string Agent = "agent";
    /// <summary>Only the bot answered it.</summary>
    public const string Bot = "bot";
    /// <summary>The agent spoke last and the customer stayed silent for the business's inactivity time (24 h).</summary>
    public const string Inactive = "inactive";
    /// <summary>The customer waited and no person answered before the response window closed.</summary>
    public const string Abandoned = "abandoned";
}

/// <summary>A customer message just stored (exactly once) for this conversation.</summary>
public sealed record ReceivedMessage(Guid MessageId, string Type, DateTimeOffset SentAt);

/// <summary>Channel rules the conversation needs to decide.</summary>
public sealed record ConversationPolicy(TimeSpan ResponseWindow);

public static class ConversationTimers
{
    /// <summary>Fires when the customer-service window closes (the customer's last message + the channel's window).</summary>
    public const string ResponseWindow = "response-window";
    /// <summary>The conversation lock's end (7 minutes after the holder's last action by default).</summary>
    public const string LockExpiry = "lock-expiry";
    /// <summary>No action by the lock holder for 3 minutes: back to the shared pool.</summary>
    public const string IdleRelease = "idle-release";
    /// <summary>The agent spoke last and the customer has been silent for the business's inactivity time.</summary>
    public const string Inactivity = "inactivity";
    /// <summary>The bot answered and the customer has been quiet for the business's quiet period (30 min).</summary>
    public const string BotQuiet = "bot-quiet";
    /// <summary>The first-response alert's threshold since opening (or the bot's hand-over) is reached.</summary>
    public const string FirstResponseAlert = "alert-first-response";
    /// <summary>The waiting alert's threshold (the VIP one, the sooner) since entering the queue is reached.</summary>
    public const string WaitingAlert = "alert-waiting";
    /// <summary>Re-checks the conversation's open alerts (left by deadlines written before alerts cleared at
    /// once).</summary>
    public const string AlertRecheck = "alert-recheck";

    /// <summary>The team's hours open while the conversation waits in its queue: the queue is offered then.</summary>
    public const string QueueOpening = "queue-opening";
    /// <summary>Re-tells a waiting customer their place in the queue when it improved markedly (at most every few
    /// minutes).</summary>
    public const string QueueUpdate = "queue-update";

    public static bool IsAlert(string kind) => kind.StartsWith("alert-", StringComparison.Ordinal);

    /// <summary>Checks the silo runs with its business's data (thresholds, hours, the queue), not the pure rules.</summary>
    public static bool IsCheck(string kind) => IsAlert(kind) || kind.StartsWith("queue-", StringComparison.Ordinal);
}

public static class ConversationEvents
{
    public const string Opened = "conversation.opened";
    public const string MessageReceived = "message.received";
    public const string WindowClosed = "conversation.window_closed";
    public const string MessageQueued = "message.queued";
    public const string Queued = "conversation.queued";
    public const string Assigned = "conversation.assigned";
    public const string Transferred = "conversation.transferred";
    public const string Escalated = "conversation.escalated";
    public const string Resolved = "conversation.resolved";
    public const string Reopened = "conversation.reopened";
    public const string LockTaken = "conversation.lock_taken";
    public const string LockReleased = "conversation.lock_released";
    public const string IdleReleased = "conversation.idle_released";
    public const string HumanReplied = "conversation.human_replied";
    public const string NoteAdded = "conversation.note_added";
    public const string BotReplied = "bot.replied";
    public const string BotHandedOver = "bot.handed_over";
}
