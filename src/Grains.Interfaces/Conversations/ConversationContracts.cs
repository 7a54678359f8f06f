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
    long Version);

/// <summary>A customer message just stored (exactly once) for this conversation.</summary>
public sealed record ReceivedMessage(Guid MessageId, string Type, DateTimeOffset SentAt);

/// <summary>Channel rules the conversation needs to decide.</summary>
public sealed record ConversationPolicy(TimeSpan ResponseWindow);

public static class ConversationTimers
{
    /// <summary>Fires when the customer-service window closes (the customer's last message + the channel's window).</summary>
    public const string ResponseWindow = "response-window";
}

public static class ConversationEvents
{
    public const string Opened = "conversation.opened";
    public const string MessageReceived = "message.received";
    public const string WindowClosed = "conversation.window_closed";
    public const string MessageQueued = "message.queued";
}
