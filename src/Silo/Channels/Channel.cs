namespace Engine.Silo.Channels;

public static class ChannelKinds
{
    public const string WhatsApp = "whatsapp";
    public const string WeChat = "wechat";
}

/// <summary>Settings that may be shown. Fields apply by kind: WhatsApp uses the phone number fields, WeChat the app id.</summary>
public sealed record ChannelSettings(
    string? PhoneNumberId,
    string? DisplayPhoneNumber,
    string? AppId,
    string ApiBaseUrl,
    string? ApiVersion,
    int ResponseWindowHours,
    string? OutsideWindowPolicy = null,
    int? RateLimitPerSecond = null,
    int? WindowQuota = null,
    bool ReadReceipts = false,
    string? BusinessAccountId = null);

/// <summary>Credentials: used by webhooks and senders, never returned by the API.</summary>
public sealed record ChannelSecrets(
    string? AppSecret,
    string? VerifyToken,
    string? AccessToken,
    string? Token,
    string? EncodingAesKey,
    string? PreviousEncodingAesKey);

public sealed record Channel(
    Guid Id,
    Guid BusinessId,
    string Kind,
    string Name,
    bool Enabled,
    ChannelSettings Settings,
    ChannelSecrets Secrets,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version)
{
    public TimeSpan ResponseWindow => TimeSpan.FromHours(Settings.ResponseWindowHours);

    /// <summary>Sends per second to the provider for this number: the platform default is 80 (up to 1,000).</summary>
    public int RateLimitPerSecond => Settings.RateLimitPerSecond ?? 80;

    /// <summary>WhatsApp: refuse free-form messages outside the window, or send them with the surcharge.</summary>
    public string OutsideWindowPolicy => Settings.OutsideWindowPolicy ?? Engine.Grains.Interfaces.Messaging.OutsideWindowPolicies.Refuse;

    /// <summary>WeChat: customer-service messages allowed per customer message (currently 5).</summary>
    public int WindowQuota => Settings.WindowQuota ?? 5;

    public static ChannelSettings DefaultSettings(string kind) => kind == ChannelKinds.WhatsApp
        ? new(null, null, null, "https://graph.facebook.com", "v24.0", 24)
        : new(null, null, null, "https://api.weixin.qq.com", null, 48);
}
