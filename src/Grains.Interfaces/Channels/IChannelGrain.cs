namespace Engine.Grains.Interfaces.Channels;

/// <summary>
/// One provider number or account (key <c>chan:{id}</c>): the number's send budget per second and the WeChat access
/// token, shared by every silo's dispatchers because the cluster keeps one activation of it.
/// </summary>
[Alias("channel")]
public interface IChannelGrain : IGrainWithStringKey
{
    /// <summary>Takes one of this second's sends; when the budget is used, says how long until the next
    /// second.</summary>
    [Alias("take-send-slot")]
    Task<SendSlot> TakeSendSlot(int limitPerSecond);

    /// <summary>
    /// A WeChat access token valid for at least 5 more minutes; <paramref name="refused"/> is one the API just refused
    /// (40001…), which is never handed out again. Callers waiting here share one fetch: a fetch invalidates the
    /// previous token, so two at once would refuse each other's.
    /// </summary>
    [Alias("wechat-access-token")]
    Task<AccessTokenResult> WeChatAccessToken(string? refused);
}

/// <summary>A token with its expiry, or why none could be had (<see cref="Transient"/>: worth retrying
/// later).</summary>
[GenerateSerializer, Immutable, Alias("access-token-result")]
public sealed record AccessTokenResult(
    [property: Id(0)] string? Token,
    [property: Id(1)] DateTimeOffset ExpiresAt,
    [property: Id(2)] int? ErrorCode = null,
    [property: Id(3)] string? Error = null,
    [property: Id(4)] bool Transient = false);

[GenerateSerializer, Immutable, Alias("send-slot")]
public readonly record struct SendSlot([property: Id(0)] bool Granted, [property: Id(1)] TimeSpan RetryAfter);
