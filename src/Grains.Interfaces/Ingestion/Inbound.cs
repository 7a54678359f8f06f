namespace Engine.Grains.Interfaces.Ingestion;

/// <summary>
/// One webhook delivery, normalised from the provider's format, or the part of it that concerns one customer (what
/// the customer's grain receives). Everything in it is committed together.
/// </summary>
[GenerateSerializer, Immutable, Alias("inbound-batch")]
public sealed record InboundBatch(
    [property: Id(0)] Guid ChannelId,
    [property: Id(1)] IReadOnlyList<InboundMessage> Messages,
    [property: Id(2)] IReadOnlyList<InboundStatus> Statuses,
    [property: Id(3)] IReadOnlyList<InboundEvent> Events)
{
    public int Count => Messages.Count + Statuses.Count + Events.Count;

    /// <summary>Who wrote, in a customer's part (one identity): the first message's or event's contact.</summary>
    public InboundContact? Writer => Messages.Select(m => m.Contact).Concat(Events.Select(e => e.Contact)).FirstOrDefault();
}

/// <summary>
/// A customer's message. <see cref="ContentJson"/> keeps the provider's type-specific object whole; <see
/// cref="Warnings"/> says what was changed on the way in (a text cut to the provider's limit).
/// </summary>
[GenerateSerializer, Immutable, Alias("inbound-message")]
public sealed record InboundMessage(
    [property: Id(0)] string ProviderMessageId,
    [property: Id(1)] InboundContact Contact,
    [property: Id(2)] DateTimeOffset SentAt,
    [property: Id(3)] string Type,
    [property: Id(4)] string? Text,
    [property: Id(5)] string ContentJson,
    [property: Id(6)] string? ReplyToProviderId,
    [property: Id(7)] IReadOnlyList<string>? Warnings = null);

/// <summary>Who wrote: the channel-scoped external id (wa_id, else BSUID; WeChat OpenID) and what the provider tells of
/// them.</summary>
[GenerateSerializer, Immutable, Alias("inbound-contact")]
public sealed record InboundContact(
    [property: Id(0)] string ExternalId,
    [property: Id(1)] string? Name,
    [property: Id(2)] string? Phone,
    [property: Id(3)] string? Bsuid);

/// <summary>A delivery status for a message the business sent.</summary>
[GenerateSerializer, Immutable, Alias("inbound-status")]
public sealed record InboundStatus(
    [property: Id(0)] string ProviderMessageId,
    [property: Id(1)] string Status,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] string? ErrorJson);

/// <summary>A channel event without a message id (WeChat subscribe, scan, menu click…).</summary>
[GenerateSerializer, Immutable, Alias("inbound-event")]
public sealed record InboundEvent(
    [property: Id(0)] string EventKey,
    [property: Id(1)] InboundContact Contact,
    [property: Id(2)] string Event,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] string ContentJson);

/// <summary>Where a customer's committed part went: the customer its identity is stored as (its merged root) and the
/// conversation its messages are in (null when they opened none: a rating answer to a resolved one, or only
/// events).</summary>
[GenerateSerializer, Immutable, Alias("inbound-stored")]
public sealed record InboundStored([property: Id(0)] Guid Customer, [property: Id(1)] Guid? Conversation);
