namespace Engine.Grains.Interfaces.Ingestion;

/// <summary>One webhook delivery, normalised from the provider's format. Everything in it is committed together.</summary>
public sealed record InboundBatch(
    Guid ChannelId,
    IReadOnlyList<InboundMessage> Messages,
    IReadOnlyList<InboundStatus> Statuses,
    IReadOnlyList<InboundEvent> Events)
{
    public int Count => Messages.Count + Statuses.Count + Events.Count;
}

/// <summary>
/// A customer's message. <see cref="ContentJson"/> keeps the provider's type-specific object whole; <see
/// cref="Warnings"/>
/// says what was changed on the way in (a text cut to the provider's limit).
/// </summary>
public sealed record InboundMessage(
    string ProviderMessageId,
    InboundContact Contact,
    DateTimeOffset SentAt,
    string Type,
    string? Text,
    string ContentJson,
    string? ReplyToProviderId,
    IReadOnlyList<string>? Warnings = null);

/// <summary>Who wrote: the channel-scoped external id (wa_id, else BSUID; WeChat OpenID) and what the provider tells of them.</summary>
public sealed record InboundContact(string ExternalId, string? Name, string? Phone, string? Bsuid);

/// <summary>A delivery status for a message the business sent.</summary>
public sealed record InboundStatus(
    string ProviderMessageId,
    string Status,
    DateTimeOffset At,
    string? ErrorJson);

/// <summary>A channel event without a message id (WeChat subscribe, scan, menu click…).</summary>
public sealed record InboundEvent(
    string EventKey,
    InboundContact Contact,
    string Event,
    DateTimeOffset At,
    string ContentJson);
