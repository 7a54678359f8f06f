using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Agents;

namespace Engine.Tests.Grains.Cluster;

/// <summary>An agent's activity is written by their grain, at most every 30 seconds, whichever node served
/// them.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class AgentGrainTests(GrainCluster c)
{
    [Fact]
    public async Task Requests_through_two_silos_record_activity_once_per_30_seconds()
    {
        var user = Guid.NewGuid();
        var key = GrainKeys.Agent(user);
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => c.OnSilo(i % 2).GetGrain<IAgentGrain>(key).Active()));
        Assert.Equal(1, c.Activity.Of(user));

        c.Clock.Advance(TimeSpan.FromSeconds(29));
        await c.OnSilo(1).GetGrain<IAgentGrain>(key).Active();
        Assert.Equal(1, c.Activity.Of(user));

        c.Clock.Advance(TimeSpan.FromSeconds(1));
        await c.OnSilo(0).GetGrain<IAgentGrain>(key).Active();
        Assert.Equal(2, c.Activity.Of(user));   // online (active within 5 minutes) stays true to within 30 seconds
    }

    [Fact]
    public async Task Presence_set_through_the_grain_counts_as_the_activity_of_the_next_30_seconds()
    {
        var user = Guid.NewGuid();
        var key = GrainKeys.Agent(user);
        var actor = GrainCluster.AgentActor(user);
        await c.OnSilo(1).GetGrain<IAgentGrain>(key).SetPresence("online", actor);
        Assert.Equal("online", c.Activity.PresenceOf(user));
        Assert.Equal(1, c.Activity.Of(user));

        c.Clock.Advance(TimeSpan.FromSeconds(20));
        await c.OnSilo(0).GetGrain<IAgentGrain>(key).Active();   // the request right after: nothing more to write
        Assert.Equal(1, c.Activity.Of(user));
        await c.OnSilo(0).GetGrain<IAgentGrain>(key).SetPresence("away", actor);   // a presence change is always written
        Assert.Equal("away", c.Activity.PresenceOf(user));
        Assert.Equal(2, c.Activity.Of(user));
    }
}
