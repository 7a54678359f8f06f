using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Teams;

namespace Engine.Tests.Grains.Cluster;

/// <summary>Claim races: agents on both silos claim from one team's queue at once, while automatic assignment drains
/// it.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class TeamQueueGrainTests(GrainCluster c)
{
    private static ClaimRequest Request(Guid agent, Guid? conversation = null) =>
        new(agent, conversation, GrainCluster.AgentActor(agent));

    [Fact]
    public async Task Agents_racing_for_the_next_conversation_each_get_a_different_one_vip_first_then_oldest()
    {
        var team = Guid.NewGuid();
        var start = c.Clock.GetUtcNow();
        var waiting = Enumerable.Range(0, 10)
            .Select(i => new QueuedConversation(Guid.NewGuid(), i % 4 == 0 ? 1 : 0, start.AddMinutes(-i)))
            .ToList();
        foreach (var w in waiting) c.Queues.Wait(team, w);

        var agents = Enumerable.Range(0, 14).Select(_ => Guid.NewGuid()).ToList();
        var outcomes = await Task.WhenAll(agents.Select((agent, i) =>
            c.Alternating<ITeamQueueGrain>(i, GrainKeys.Team(team)).Claim(Request(agent))));

        var claimed = outcomes.Where(o => o.Conversation is not null).Select(o => o.Conversation!.Value).ToList();
        Assert.Equal(10, claimed.Count);                                   // every waiting conversation was claimed
        Assert.Equal(10, claimed.Distinct().Count());                      // by exactly one agent each
        Assert.Equal(4, outcomes.Count(o => o.Conversation is null && o.Code is null));   // the rest found none waiting
        Assert.Equal(0, c.Queues.Collisions(team));                              // no claim ever raced another to the commit
        var order = c.Queues.Claims.Where(x => waiting.Any(w => w.Id == x.Conversation)).Select(x => x.Conversation).ToList();
        var expected = waiting.OrderByDescending(w => w.Priority).ThenBy(w => w.QueuedAt).Select(w => w.Id).ToList();
        Assert.Equal(expected, order);                                     // committed in queue order: VIP, then longest waiting
    }

    [Fact]
    public async Task Two_agents_claiming_the_same_conversation_one_gets_it_the_other_is_told_it_no_longer_waits()
    {
        var team = Guid.NewGuid();
        var wanted = new QueuedConversation(Guid.NewGuid(), 0, c.Clock.GetUtcNow());
        c.Queues.Wait(team, wanted);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            c.Alternating<ITeamQueueGrain>(i, GrainKeys.Team(team)).Claim(Request(Guid.NewGuid(), wanted.Id))));
        Assert.Single(outcomes, o => o.Conversation == wanted.Id);
        Assert.Equal(5, outcomes.Count(o => o.Code == "not_waiting"));
        Assert.Null(await c.OnSilo(1).GetGrain<ITeamQueueGrain>(GrainKeys.Team(team)).Head());
    }

    /// <summary>Offers on both silos drain the queue while agents claim from it: each conversation goes to one agent,
    /// and no drain or claim ever finds its conversation taken between its read and its commit.</summary>
    [Fact]
    public async Task Drains_and_claims_on_both_silos_give_every_conversation_once()
    {
        var team = Guid.NewGuid();
        var start = c.Clock.GetUtcNow();
        var waiting = Enumerable.Range(0, 12).Select(i => new QueuedConversation(Guid.NewGuid(), 0, start.AddMinutes(-i))).ToList();
        foreach (var w in waiting) c.Queues.Wait(team, w);

        var drains = Enumerable.Range(0, 6).Select(i => c.Alternating<ITeamQueueGrain>(i, GrainKeys.Team(team)).Drain());
        var claims = Enumerable.Range(0, 6).Select(i =>
            c.Alternating<ITeamQueueGrain>(i + 1, GrainKeys.Team(team)).Claim(Request(Guid.NewGuid())));
        var drained = await Task.WhenAll(drains);
        var claimed = await Task.WhenAll(claims);

        var given = drained.SelectMany(d => d.Select(a => a.Conversation))
            .Concat(claimed.Where(o => o.Conversation is not null).Select(o => o.Conversation!.Value)).ToList();
        Assert.Equal(waiting.Select(w => w.Id).Order(), given.Order());   // every one given, none twice
        Assert.Equal(0, c.Queues.Collisions(team));
        Assert.Null(await c.OnSilo(0).GetGrain<ITeamQueueGrain>(GrainKeys.Team(team)).Head());
    }

    /// <summary>Nobody in the business is under their limit and not offline: the drain offers no conversation (each
    /// offer would be a transaction that assigns nothing).</summary>
    [Fact]
    public async Task A_drain_with_nobody_to_take_offers_nothing()
    {
        var team = Guid.NewGuid();
        var waiting = new QueuedConversation(Guid.NewGuid(), 0, c.Clock.GetUtcNow());
        c.Queues.Wait(team, waiting);
        c.Queues.Unstaffed(team);

        Assert.Empty(await c.OnSilo(0).GetGrain<ITeamQueueGrain>(GrainKeys.Team(team)).Drain());
        Assert.Equal(waiting, await c.OnSilo(1).GetGrain<ITeamQueueGrain>(GrainKeys.Team(team)).Head());
    }
}
