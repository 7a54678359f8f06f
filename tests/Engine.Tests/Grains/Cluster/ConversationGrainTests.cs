using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Deadlines;

namespace Engine.Tests.Grains.Cluster;

/// <summary>The conversation grain fires the lock's deadlines from its own grain timer as the fake clock
/// moves.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class ConversationGrainTests(GrainCluster c)
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(20);   // real time allowed for a timer turn to run

    private IConversationGrain Grain(Guid id) => c.OnSilo(0).GetGrain<IConversationGrain>(GrainKeys.Conversation(id));

    /// <summary>A conversation whose assigned agent has just opened it (taken the lock); its grain knows the
    /// deadlines.</summary>
    private async Task<(Guid Conversation, Guid Agent)> LockedByItsAgentAsync()
    {
        var agent = Guid.NewGuid();
        var conversation = c.Conversations.Open(agent).Id;
        c.Conversations.TakeLock(conversation, agent);
        await Grain(conversation).FireDue();   // re-arms on the deadlines the lock set
        return (conversation, agent);
    }

    [Fact]
    public async Task Idle_release_fires_from_the_grain_timer_after_3_silent_minutes_and_not_before()
    {
        var (conversation, agent) = await LockedByItsAgentAsync();

        c.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, await Grain(conversation).FireDue());     // a turn after any timer tick: nothing was due
        Assert.Equal(agent, c.Conversations[conversation].LockHolder);

        c.Clock.Advance(TimeSpan.FromSeconds(90));                // 3.5 minutes without an action
        Assert.Equal("idle", await c.Conversations.Released(conversation).WaitAsync(Bounded));
        Assert.Null(c.Conversations[conversation].LockHolder);
        Assert.Null(c.Conversations[conversation].AssigneeId);    // back to its queue
    }

    [Fact]
    public async Task A_lock_taken_through_the_grain_arms_its_idle_release_in_the_same_turn_and_a_second_agent_is_refused()
    {
        var agent = Guid.NewGuid();
        var conversation = c.Conversations.Open(agent).Id;
        static ConversationCommand Lock(Guid user) => new(CommandKind.Lock, GrainCluster.AgentActor(user));

        Assert.Null((await c.OnSilo(1).GetGrain<IConversationGrain>(GrainKeys.Conversation(conversation)).Run(Lock(agent))).Code);
        Assert.Equal("conversation_locked", (await Grain(conversation).Run(Lock(Guid.NewGuid()))).Code);

        // No wake-up from a commit is involved: the command's own turn re-armed the grain's timer.
        c.Clock.Advance(TimeSpan.FromMinutes(3.5));
        Assert.Equal("idle", await c.Conversations.Released(conversation).WaitAsync(Bounded));
    }

    [Fact]
    public async Task A_reply_sent_through_the_grain_moves_the_idle_release_in_the_same_turn()
    {
        var agent = Guid.NewGuid();
        var conversation = c.Conversations.Open(agent).Id;
        var actor = GrainCluster.AgentActor(agent);
        Assert.Null((await Grain(conversation).Run(new ConversationCommand(CommandKind.Lock, actor))).Code);

        c.Clock.Advance(TimeSpan.FromMinutes(2));
        var sent = await c.OnSilo(1).GetGrain<IConversationGrain>(GrainKeys.Conversation(conversation))
            .Send(new SendCommand(actor, new Engine.Grains.Interfaces.Messaging.OutboundMessage("text", "On it!"), [], null, null));
        Assert.NotNull(sent.MessageId);
        c.Clock.Advance(TimeSpan.FromMinutes(2));                 // 4 minutes after the lock, 2 after the reply
        Assert.Equal(0, await Grain(conversation).FireDue());
        Assert.Equal(agent, c.Conversations[conversation].LockHolder);
        c.Clock.Advance(TimeSpan.FromMinutes(1.5));
        Assert.Equal("idle", await c.Conversations.Released(conversation).WaitAsync(Bounded));
    }

    [Fact]
    public async Task An_action_by_the_holder_moves_the_idle_release()
    {
        var (conversation, agent) = await LockedByItsAgentAsync();

        for (var i = 0; i < 3; i++)
        {
            c.Clock.Advance(TimeSpan.FromMinutes(2));
            c.Conversations.Touch(conversation, agent);          // each action extends the lock and the idle deadline
            await Grain(conversation).FireDue();   // re-arms on the moved deadlines
            Assert.Equal(0, await Grain(conversation).FireDue());
            Assert.Equal(agent, c.Conversations[conversation].LockHolder);
        }

        c.Clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal("idle", await c.Conversations.Released(conversation).WaitAsync(Bounded));
    }

    [Fact]
    public async Task A_deadline_delivered_from_both_silos_at_once_fires_once()
    {
        var agent = Guid.NewGuid();
        var conversation = c.Conversations.Open(agent).Id;
        c.Conversations.TakeLock(conversation, agent);
        var key = GrainKeys.Conversation(conversation);
        c.Clock.Advance(TimeSpan.FromMinutes(8));                 // lock expiry and idle release both due

        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => c.Alternating<IConversationGrain>(i, key).FireDue()));
        // The idle release (due first) releases the lock and cancels the lock's expiry: one firing in all.
        Assert.Equal("idle", await c.Conversations.Released(conversation).WaitAsync(Bounded));
        Assert.Equal(1, c.Conversations.Firings(conversation));
    }
}
