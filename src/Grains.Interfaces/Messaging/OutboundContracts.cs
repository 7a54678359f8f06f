namespace Engine.Grains.Interfaces.Messaging;

/// <summary>What an agent or integrator asks to send. Which fields apply depends on <see cref="Type"/>.</summary>
[GenerateSerializer, Immutable, Alias("outbound-message")]
public sealed record OutboundMessage(
    [property: Id(0)] string Type,                              // text | image | video | audio | document | buttons | list | template
    [property: Id(1)] string? Text = null,
    [property: Id(2)] bool PreviewUrl = false,
    [property: Id(3)] OutboundMedia? Media = null,
    [property: Id(4)] string? Header = null,
    [property: Id(5)] string? Footer = null,
    [property: Id(6)] IReadOnlyList<ReplyButton>? Buttons = null,
    [property: Id(7)] OutboundList? List = null,
    [property: Id(8)] OutboundTemplate? Template = null,
    [property: Id(9)] string? ReplyToProviderId = null);

/// <summary>A message's file: a public <see cref="Url"/>, a provider's media <see cref="Id"/>, or an
/// <see cref="AttachmentId"/> uploaded to the engine (sent by uploading it to the provider as part of the send).
/// <see cref="ContentType"/>, size and dimensions are the attachment's as measured, or what the sender declares.</summary>
[GenerateSerializer, Immutable, Alias("outbound-media")]
public sealed record OutboundMedia(
    [property: Id(0)] string? Url, [property: Id(1)] string? Id, [property: Id(2)] string? Caption, [property: Id(3)] string? Filename,
    [property: Id(4)] long? SizeBytes, [property: Id(5)] int? Width, [property: Id(6)] int? Height,
    [property: Id(7)] Guid? AttachmentId = null, [property: Id(8)] string? ContentType = null);

[GenerateSerializer, Immutable, Alias("reply-button")]
public sealed record ReplyButton([property: Id(0)] string Id, [property: Id(1)] string Title);

[GenerateSerializer, Immutable, Alias("outbound-list")]
public sealed record OutboundList([property: Id(0)] string Button, [property: Id(1)] IReadOnlyList<ListSection> Sections);

[GenerateSerializer, Immutable, Alias("list-section")]
public sealed record ListSection([property: Id(0)] string? Title, [property: Id(1)] IReadOnlyList<ListRow> Rows);

[GenerateSerializer, Immutable, Alias("list-row")]
public sealed record ListRow([property: Id(0)] string Id, [property: Id(1)] string Title, [property: Id(2)] string? Description);

[GenerateSerializer, Immutable, Alias("outbound-template")]
public sealed record OutboundTemplate([property: Id(0)] string Name, [property: Id(1)] string Language, [property: Id(2)] IReadOnlyList<string>? Parameters);

/// <summary>What the channel allows outside the customer-service window (WhatsApp).</summary>
public static class OutsideWindowPolicies
{
    public const string Refuse = "refuse";
    public const string Surcharge = "surcharge";
}

/// <summary>The channel rules a send is decided under.</summary>
public sealed record SendPolicy(string ChannelKind, string OutsideWindowPolicy, int WindowQuota);

public static class MessageCategories
{
    /// <summary>A reply inside the customer-service window: free.</summary>
    public const string Service = "service";
    /// <summary>A template, or anything sent outside the window: counted against the free tier, then priced.</summary>
    public const string BusinessInitiated = "business_initiated";
}
