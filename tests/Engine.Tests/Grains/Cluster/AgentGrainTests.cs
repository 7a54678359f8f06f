using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Agents;

namespace Engine.Tests.Grains.Cluster;

/// <summary>An agent's activity is written by their grain, at most every 30 seconds, whichever node served
/// them; assignments take seats of their capacity there, one at a time for the whole cluster.</summary>
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

    [Fact]
    public async Task Automatic_assignments_racing_on_two_silos_take_80_percent_of_capacity_and_people_the_rest()
    {
        var user = Guid.NewGuid();
        var key = GrainKeys.Agent(user);
        c.Activity.SetCapacity(user, 5);

        var automatic = await Task.WhenAll(Enumerable.Range(0, 10)
            .Select(i => c.Alternating<IAgentGrain>(i, key).HoldSeat(Guid.NewGuid(), automatic: true)));
        Assert.Equal(4, automatic.Count(held => held));                          // 4 of 5 is 80%
        Assert.True(await c.OnSilo(1).GetGrain<IAgentGrain>(key).HoldSeat(Guid.NewGuid(), automatic: false));
        Assert.False(await c.OnSilo(0).GetGrain<IAgentGrain>(key).HoldSeat(Guid.NewGuid(), automatic: false));
    }

    [Fact]
    public async Task A_released_seat_frees_at_once_a_forgotten_one_after_30_seconds_and_a_retry_holds_one_seat()
    {
        var user = Guid.NewGuid();
        var grain = c.OnSilo(0).GetGrain<IAgentGrain>(GrainKeys.Agent(user));
        c.Activity.SetCapacity(user, 1);
        var first = Guid.NewGuid();

        Assert.True(await grain.HoldSeat(first, automatic: false));
        Assert.True(await grain.HoldSeat(first, automatic: false));             // the same assignment run again
        Assert.False(await grain.HoldSeat(Guid.NewGuid(), automatic: false));
        await grain.ReleaseSeat(first, assigned: false);                         // its transaction failed
        Assert.Equal(0, c.Activity.AssignmentsOf(user));

        var second = Guid.NewGuid();
        Assert.True(await grain.HoldSeat(second, automatic: false));             // its caller dies: no release
        c.Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(await grain.HoldSeat(Guid.NewGuid(), automatic: false));
        c.Clock.Advance(TimeSpan.FromSeconds(1));
        var third = Guid.NewGuid();
        Assert.True(await grain.HoldSeat(third, automatic: false));
        await grain.ReleaseSeat(third, assigned: true);                          // committed: the store counts it now
        Assert.Equal(1, c.Activity.AssignmentsOf(user));
    }
}
