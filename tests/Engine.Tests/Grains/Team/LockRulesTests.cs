using Engine.Grains.Conversations;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;

namespace Engine.Tests.Grains.Team;

public class LockRulesTests
{
    private static readonly DateTimeOffset T = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly Guid A = Guid.NewGuid(), B = Guid.NewGuid(), Team = Guid.NewGuid();
    private static readonly LockPolicy Policy = LockPolicy.Default;

    /// <summary>Assigned to A, the customer waiting for an answer.</summary>
    private static ConversationState Assigned() =>
        ConversationRules.Open(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), T)
            with { Version = 1, TeamId = Team, AssigneeId = A, AwaitingSince = T };

    [Fact]
    public void A_second_agent_cannot_act_while_the_lock_is_held()
    {
        var locked = ConversationRules.TakeLock(Assigned(), A, Policy, T).State;
        Assert.Equal(T.AddMinutes(7), locked.LockUntil);
        var e = Assert.Throws<RefusedException>(() => ConversationRules.Touch(locked, B, Policy, T.AddMinutes(2)));
        Assert.Equal("conversation_locked", e.Code);
        Assert.Throws<RefusedException>(() => ConversationRules.TakeLock(locked, B, Policy, T.AddMinutes(6)));
    }

    [Fact]
    public void Each_action_by_the_holder_extends_the_lock_and_moves_its_timers()
    {
        var locked = ConversationRules.TakeLock(Assigned(), A, Policy, T).State;
        var touched = ConversationRules.Touch(locked, A, Policy, T.AddMinutes(2));
        Assert.Equal(T.AddMinutes(9), touched.State.LockUntil);
        Assert.Contains(touched.Timers, t => t.Kind == ConversationTimers.IdleRelease && t.DueAt == T.AddMinutes(5));
        Assert.Contains(touched.Timers, t => t.Kind == ConversationTimers.LockExpiry && t.DueAt == T.AddMinutes(9));
    }

    [Fact]
    public void Idle_for_3_minutes_the_lock_goes_and_the_conversation_returns_to_its_queue()
    {
        var locked = ConversationRules.TakeLock(Assigned(), A, Policy, T).State;
        Assert.Equal(A, ConversationRules.TimerDue(locked, ConversationTimers.IdleRelease, Policy, T.AddMinutes(3).AddSeconds(-1)).State.LockHolder);
        var released = ConversationRules.TimerDue(locked, ConversationTimers.IdleRelease, Policy, T.AddMinutes(3));
        Assert.Null(released.State.LockHolder);
        Assert.Null(released.State.AssigneeId);
        Assert.True(released.State.IsQueued);
        Assert.Contains(released.Events, e => e.Type == ConversationEvents.IdleReleased);
        Assert.Contains(released.Outbox, o => o.Topic == ConversationRules.OfferTopic);
        // now B can take it
        Assert.Equal(B, ConversationRules.TakeLock(released.State, B, Policy, T.AddMinutes(3)).State.LockHolder);
    }

    [Fact]
    public void While_the_agent_waits_for_the_customer_idle_release_waits_and_then_runs_from_their_next_message()
    {
        var locked = ConversationRules.TakeLock(Assigned(), A, Policy, T).State;
        var touched = ConversationRules.Touch(locked, A, Policy, T.AddMinutes(1));
        var answered = ConversationRules.HumanReplied(touched.State, A, T.AddMinutes(1));
        Assert.Contains(answered.Timers, t => t.Kind == ConversationTimers.IdleRelease && t.DueAt is null);
        Assert.False(ConversationRules.TimerDue(answered.State, ConversationTimers.IdleRelease, Policy, T.AddMinutes(6)).Changed);

        var wrote = ConversationRules.Receive(answered.State, [new ReceivedMessage(Guid.NewGuid(), "text", T.AddMinutes(4))],
            new ConversationPolicy(TimeSpan.FromHours(24)), T.AddMinutes(4));
        Assert.Contains(wrote.Timers, t => t.Kind == ConversationTimers.IdleRelease && t.DueAt == T.AddMinutes(4));
        var check = ConversationRules.TimerDue(wrote.State, ConversationTimers.IdleRelease, Policy, T.AddMinutes(4));
        Assert.Equal(A, check.State.LockHolder);
        Assert.Contains(check.Timers, t => t.Kind == ConversationTimers.IdleRelease && t.DueAt == T.AddMinutes(7));
        var released = ConversationRules.TimerDue(wrote.State, ConversationTimers.IdleRelease, Policy, T.AddMinutes(7));
        Assert.Null(released.State.LockHolder);
        Assert.True(released.State.IsQueued);
    }

    [Fact]
    public void An_expired_lock_no_longer_blocks_others()
    {
        var locked = ConversationRules.TakeLock(Assigned(), A, Policy with { LockLength = TimeSpan.FromMinutes(5), IdleRelease = TimeSpan.FromMinutes(10) }, T).State;
        Assert.Equal(B, ConversationRules.TakeLock(locked, B, Policy, T.AddMinutes(5)).State.LockHolder);
        Assert.Null(ConversationRules.TimerDue(locked, ConversationTimers.LockExpiry, Policy, T.AddMinutes(5)).State.LockHolder);
    }

    [Fact]
    public void Transfers_and_escalations_need_a_comment_and_count_a_hand_over()
    {
        var s = Assigned();
        Assert.Equal("comment_required", Assert.Throws<RefusedException>(() => ConversationRules.Transfer(s, A, B, null, " ", T)).Code);
        var moved = ConversationRules.Transfer(s, A, B, null, "customer speaks Thai", T).State;
        Assert.Equal((B, 1), (moved.AssigneeId!.Value, moved.Handovers));
        var toTeam = ConversationRules.Transfer(s, A, null, Guid.NewGuid(), "logistics question", T).State;
        Assert.True(toTeam.IsQueued);
        var up = ConversationRules.Escalate(s, A, "frontline", "refund over limit", T).State;
        Assert.Equal("senior", up.RequiredTier);
        Assert.True(up.IsQueued);
        Assert.Equal("supervisor", ConversationRules.Escalate(up, A, "senior", "still unhappy", T).State.RequiredTier);
        Assert.Equal("top_tier", Assert.Throws<RefusedException>(() => ConversationRules.Escalate(up with { RequiredTier = "supervisor" }, A, "supervisor", "x", T)).Code);
    }

    [Fact]
    public void Resolving_clears_the_lock_and_cancels_its_timers_and_reopening_requeues()
    {
        var locked = ConversationRules.TakeLock(Assigned(), A, Policy, T).State;
        var resolved = ConversationRules.Resolve(locked, A, T.AddMinutes(1));
        Assert.Equal(ConversationStatus.Resolved, resolved.State.Status);
        Assert.Null(resolved.State.LockHolder);
        Assert.All(resolved.Timers, t => Assert.Null(t.DueAt));
        Assert.Equal("already_resolved", Assert.Throws<RefusedException>(() => ConversationRules.Resolve(resolved.State, A, T)).Code);
        var reopened = ConversationRules.Reopen(resolved.State, A, T.AddMinutes(2)).State;
        Assert.True(reopened.IsQueued);
    }

    [Fact]
    public void Opening_a_conversation_to_work_on_it_or_answering_it_reads_it()
    {
        var unread = Assigned() with { UnreadCount = 3 };
        Assert.Equal(0, ConversationRules.TakeLock(unread, A, Policy, T).State.UnreadCount);
        Assert.Equal(0, ConversationRules.HumanReplied(unread, A, T).State.UnreadCount);
        Assert.Throws<RefusedException>(() => ConversationRules.TakeLock(ConversationRules.TakeLock(unread, A, Policy, T).State with { UnreadCount = 2 }, B, Policy, T));
    }
}
