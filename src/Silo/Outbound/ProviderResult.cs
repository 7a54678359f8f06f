namespace Engine.Silo.Outbound;

/// <summary>What a provider made of one send.</summary>
public abstract record ProviderResult
{
    /// <summary>Accepted, with what the answer carried: a send's WhatsApp wamid (WeChat gives no id), a WeChat
    /// profile's language.</summary>
    public sealed record Sent(string? ProviderMessageId) : ProviderResult;
    /// <summary>Try again later: network errors, 5xx, rate limits (130429, 131056, 45009…).</summary>
    public sealed record Transient(int? Code, string Reason, TimeSpan? After = null) : ProviderResult;
    /// <summary>Will never succeed as is (131047, 131026, 131051, 45015, 45047…).</summary>
    public sealed record Permanent(int? Code, string Reason) : ProviderResult;
}

/// <summary>The recipient as the providers address them.</summary>
public sealed record Recipient(string ExternalId, string? Phone, string? Bsuid);
