using System.Text.Json;

namespace Engine.Silo.Queries;

public sealed record ContactRef(Guid Id, string ExternalId, string? Name, string? Phone);

/// <summary>A conversation as integrators read it.</summary>
public sealed record ConversationView(
    Guid Id, Guid ChannelId, ContactRef Contact, string Status, Guid? AssigneeId, IReadOnlyList<string> Labels,
    DateTimeOffset OpenedAt, DateTimeOffset? ResolvedAt, DateTimeOffset? LastInboundAt, DateTimeOffset? LastMessageAt,
    DateTimeOffset? WindowClosesAt, bool WindowOpen, int WindowSends, int UnreadCount, int MessageCount,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, long Version,
    Guid? TeamId, int Priority, DateTimeOffset? QueuedAt, string? RequiredTier, DateTimeOffset? AssignedAt, DateTimeOffset? FirstHumanReplyAt,
    LockView? Lock, int Handovers, bool Vip, string? Resolution = null);

/// <summary>Who holds the conversation's lock, until when.</summary>
public sealed record LockView(Guid HolderId, string? HolderName, DateTimeOffset Until);

/// <summary>A message with its type-specific content as the provider sent it.</summary>
public sealed record MessageView(
    Guid Id, Guid ConversationId, string Direction, string? ProviderMessageId, string Type, string? Text, JsonElement Content,
    string? ReplyToProviderId, DateTimeOffset SentAt, string? Status, DateTimeOffset? StatusAt, JsonElement? Error,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    bool OutOfWindow, string? Category, int? FailureCode, string? FailureReason, IReadOnlyList<string> Warnings, DateTimeOffset? AcceptedAt,
    MessageMediaView? Media = null);

/// <summary>A customer's attachment: <c>pending</c> while it is fetched, <c>stored</c> (read it at <see cref="Url"/>),
/// <c>unavailable</c> (with the <see cref="Reason"/>) or <c>erased</c>.</summary>
public sealed record MessageMediaView(string Status, string? ContentType, long? Size, string? Filename, string? Reason,
    string Url);

public sealed record ContactView(
    Guid Id, Guid ChannelId, string ExternalId, string? Name, string? Phone, string? Bsuid,
    DateTimeOffset FirstSeenAt, DateTimeOffset LastSeenAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    bool Vip, string? Language, Guid? DedicatedAgentId, Guid? LastAgentId, DateTimeOffset? LastServedAt,
    string? Email, string? Country, string? PhoneE164, JsonElement Attributes, decimal LifetimeSpend, JsonElement? LastOrder,
    IReadOnlyList<string> Tags, Guid? MergedInto, IReadOnlyList<Guid> MergedIdentities);

public sealed record ConversationFilter(
    string? Status = null, Guid? ChannelId = null, Guid? ContactId = null, Guid? AssigneeId = null,
    string? Label = null, DateTimeOffset? UpdatedSince = null, string? Cursor = null, int Limit = 50, Guid? TeamId = null, bool? Queued = null,
    bool? WithBot = null, bool? WaitingForHours = null);
