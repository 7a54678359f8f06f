using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Channels;

namespace Engine.Grains.Channels;

/// <summary>
/// The channel's grain: its send budget lives in memory (a hot single activation must not write on every call), and
/// it is the one place the channel's WeChat access token is fetched (stored by the source, so a restart reuses it).
/// After a crash (or during a brief duplicate activation while membership changes) one second's budget can be
/// granted twice; the provider's own limit (error 130429, retried with back-off) absorbs that.
/// </summary>
public sealed class ChannelGrain(IAccessTokenSource tokens, TimeProvider clock) : Grain, IChannelGrain
{
    private SendBudget _budget = SendBudget.Empty;
    private AccessTokenResult? _token;
    private bool _tokenRead;

    public Task<SendSlot> TakeSendSlot(int limitPerSecond)
    {
        var (next, granted, retryAfter) = _budget.Take(clock.GetUtcNow(), limitPerSecond);
        _budget = next;
        return Task.FromResult(new SendSlot(granted, retryAfter));
    }

    public async Task<AccessTokenResult> WeChatAccessToken(string? refused)
    {
        var id = GrainKeys.IdOf(this.GetPrimaryKeyString());
        if (!_tokenRead)
        {
            _token = await tokens.StoredAsync(id, CancellationToken.None);
            _tokenRead = true;
        }
        if (AccessTokenRule.Usable(_token, refused, clock.GetUtcNow())) return _token!;
        // Non-reentrant: callers arriving during the fetch wait for it and then find the fresh token above.
        var fetched = await tokens.FetchAsync(id, CancellationToken.None);
        if (fetched.Token is not null) _token = fetched;
        return fetched;
    }
}
