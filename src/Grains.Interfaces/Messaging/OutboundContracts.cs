namespace Engine.Grains.Interfaces.Messaging;

/// <summary>What an agent or integrator asks to send. Which fields apply depends on <see cref="Type"/>.</summary>
public sealed record OutboundMessage(
    string Type,                              // text | image | video | audio | document | buttons | list | template
    string? Text = null,
    bool PreviewUrl = false,
    OutboundMedia? Media = null,
    string? Header = null,
    string? Footer = null,
    IReadOnlyList<ReplyButton>? Buttons = null,
    OutboundList? List = null,
    OutboundTemplate? Template = null,
    string? ReplyToProviderId = null);

public sealed record OutboundMedia(string? Url, string? Id, string? Caption, string? Filename, long? SizeBytes, int? Width, int? Height);
public sealed record ReplyButton(string Id, string Title);
public sealed record OutboundList(string Button, IReadOnlyList<ListSection> Sections);
public sealed record ListSection(string? Title, IReadOnlyList<ListRow> Rows);
public sealed record ListRow(string Id, string Title, string? Description);
public sealed record OutboundTemplate(string Name, string Language, IReadOnlyList<string>? Parameters);

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
