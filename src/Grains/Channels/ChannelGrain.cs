using Engine.Grains.Interfaces.Channels;

namespace Engine.Grains.Channels;

/// <summary>
/// The channel's grain: its send budget lives in memory (a hot single activation must not write on every call).
/// After a crash (or during a brief duplicate activation while membership changes) one second's budget can be
/// granted twice; the provider's own limit (error 130429, retried with back-off) absorbs that.
/// </summary>
public sealed class ChannelGrain(TimeProvider clock) : Grain, IChannelGrain
{
    private SendBudget _budget = SendBudget.Empty;

    public Task<SendSlot> TakeSendSlot(int limitPerSecond)
    {
        var (next, granted, retryAfter) = _budget.Take(clock.GetUtcNow(), limitPerSecond);
        _budget = next;
        return Task.FromResult(new SendSlot(granted, retryAfter));
    }
}
