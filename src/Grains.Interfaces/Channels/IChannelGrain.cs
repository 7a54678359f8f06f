namespace Engine.Grains.Interfaces.Channels;

/// <summary>
/// One provider number or account (key <c>chan:{id}</c>): the number's send budget per second, shared by every
/// silo's dispatchers because the cluster keeps one activation of it.
/// </summary>
[Alias("channel")]
public interface IChannelGrain : IGrainWithStringKey
{
    /// <summary>Takes one of this second's sends; when the budget is used, says how long until the next second.</summary>
    [Alias("take-send-slot")]
    Task<SendSlot> TakeSendSlot(int limitPerSecond);
}

[GenerateSerializer, Immutable, Alias("send-slot")]
public readonly record struct SendSlot([property: Id(0)] bool Granted, [property: Id(1)] TimeSpan RetryAfter);
