using Engine.Grains.Channels;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Channels;

namespace Engine.Tests.Grains.Cluster;

/// <summary>The number's send budget is one grain for the whole cluster, whichever silo the dispatcher runs
/// on.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class ChannelGrainTests(GrainCluster c)
{
    [Fact]
    public async Task Dispatchers_on_two_silos_share_one_per_second_budget()
    {
        var key = GrainKeys.Channel(Guid.NewGuid());
        // Start of a clock second, so every call below lands in the same second.
        var intoSecond = c.Clock.GetUtcNow().UtcTicks % TimeSpan.TicksPerSecond;
        c.Clock.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerSecond - intoSecond));

        var slots = await Task.WhenAll(Enumerable.Range(0, 120).Select(i =>
            c.Alternating<IChannelGrain>(i, key).TakeSendSlot(80)));
        Assert.Equal(80, slots.Count(s => s.Granted));
        Assert.All(slots.Where(s => !s.Granted), s => Assert.Equal(TimeSpan.FromSeconds(1), s.RetryAfter));

        c.Clock.Advance(TimeSpan.FromSeconds(1));
        var next = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            c.Alternating<IChannelGrain>(i, key).TakeSendSlot(80)));
        Assert.Equal(80, next.Count(s => s.Granted));
    }

    [Fact]
    public async Task Callers_on_two_silos_share_one_token_fetch_and_a_refused_token_is_replaced_once()
    {
        var key = GrainKeys.Channel(Guid.NewGuid());
        var before = c.Tokens.Fetches;
        var tokens = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            c.Alternating<IChannelGrain>(i, key).WeChatAccessToken(null)));
        Assert.Single(tokens.Select(t => t.Token).Distinct());
        Assert.Equal(before + 1, c.Tokens.Fetches);

        // Two dispatchers find the token refused (40001) at once: one new fetch, and both get the new token.
        var refused = tokens[0].Token;
        var renewed = await Task.WhenAll(c.OnSilo(0).GetGrain<IChannelGrain>(key).WeChatAccessToken(refused),
            c.OnSilo(1).GetGrain<IChannelGrain>(key).WeChatAccessToken(refused));
        Assert.Equal(before + 2, c.Tokens.Fetches);
        Assert.Single(renewed.Select(t => t.Token).Distinct());
        Assert.NotEqual(refused, renewed[0].Token);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    public void A_send_over_the_budget_waits_exactly_until_the_next_second(int millisecond)
    {
        const int limit = 1;
        var at = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero).AddMilliseconds(millisecond);
        var (used, first, _) = SendBudget.Empty.Take(at, limit);
        Assert.True(first);
        var (_, again, wait) = used.Take(at, limit);
        Assert.False(again);
        Assert.Equal(TimeSpan.FromMilliseconds(1000 - millisecond), wait);
        Assert.True(used.Take(at.AddMilliseconds(1000 - millisecond), limit).Granted);
    }
}
