using Engine.Grains.Conversations;
using Engine.Grains.Interfaces.Conversations;

namespace Engine.Tests.Grains;

public class ConversationRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly ConversationPolicy WhatsApp24h = new(TimeSpan.FromHours(24));

    private static ConversationState Fresh() => ConversationRules.Open(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Now);

    private static ReceivedMessage Msg(DateTimeOffset sentAt, string type = "text") => new(Guid.NewGuid(), type, sentAt);

    [Fact]
    public void First_message_opens_the_conversation_and_records_it()
    {
        var d = ConversationRules.Receive(Fresh(), [Msg(Now.AddSeconds(-2))], WhatsApp24h, Now);
        Assert.Equal([ConversationEvents.Opened, ConversationEvents.MessageReceived], d.Events.Select(e => e.Type));
        Assert.Equal(1, d.State.MessageCount);
        Assert.Equal(1, d.State.UnreadCount);
    }

    [Fact]
    public void Response_window_runs_from_the_customers_last_message_provider_time()
    {
        var sent = Now.AddMinutes(-10);
        var d = ConversationRules.Receive(Fresh(), [Msg(sent)], WhatsApp24h, Now);
        Assert.Equal(sent.AddHours(24), d.State.WindowClosesAt);
        var timer = Assert.Single(d.Timers);
        Assert.Equal(ConversationTimers.ResponseWindow, timer.Kind);
        Assert.Equal(sent.AddHours(24), timer.DueAt);
    }

    [Theory]
    [InlineData(24)]
    [InlineData(48)]
    public void Window_length_is_the_channels(int hours)
    {
        var d = ConversationRules.Receive(Fresh(), [Msg(Now)], new ConversationPolicy(TimeSpan.FromHours(hours)), Now);
        Assert.Equal(Now.AddHours(hours), d.State.WindowClosesAt);
    }

    [Fact]
    public void A_late_older_message_does_not_shrink_the_window_or_reschedule()
    {
        var first = ConversationRules.Receive(Fresh(), [Msg(Now)], WhatsApp24h, Now).State with { Version = 1 };
        var late = ConversationRules.Receive(first, [Msg(Now.AddMinutes(-30))], WhatsApp24h, Now.AddMinutes(1));
        Assert.Equal(Now.AddHours(24), late.State.WindowClosesAt);
        Assert.Empty(late.Timers);
        Assert.Equal(2, late.State.MessageCount);
        Assert.DoesNotContain(late.Events, e => e.Type == ConversationEvents.Opened);
    }

    [Fact]
    public void Window_timer_closes_only_once_the_window_has_passed()
    {
        // Answered (an unanswered customer is abandoned at the close: below).
        var open = ConversationRules.Receive(Fresh(), [Msg(Now)], WhatsApp24h, Now).State with
            { Version = 1, AwaitingSince = null, FirstHumanReplyAt = Now };
        var early = ConversationRules.TimerDue(open, ConversationTimers.ResponseWindow, LockPolicy.Default, Now.AddHours(24).AddTicks(-1));
        Assert.False(early.Changed);
        Assert.True(ConversationRules.IsWindowOpen(open, Now.AddHours(24).AddTicks(-1)));

        var due = ConversationRules.TimerDue(open, ConversationTimers.ResponseWindow, LockPolicy.Default, Now.AddHours(24));
        Assert.True(due.Changed);
        Assert.Equal(ConversationEvents.WindowClosed, Assert.Single(due.Events).Type);
        Assert.False(ConversationRules.IsWindowOpen(open, Now.AddHours(24)));
    }

    [Fact]
    public void At_the_windows_close_a_customer_nobody_answered_is_abandoned_and_one_that_was_answered_is_not()
    {
        var waiting = ConversationRules.Receive(Fresh(), [Msg(Now)], WhatsApp24h, Now).State with { Version = 1 };
        var abandoned = ConversationRules.TimerDue(waiting, ConversationTimers.ResponseWindow, LockPolicy.Default, Now.AddHours(24));
        Assert.Equal([ConversationEvents.WindowClosed, ConversationEvents.Resolved], abandoned.Events.Select(e => e.Type));
        Assert.Equal(Resolutions.Abandoned, abandoned.State.Resolution);

        var answered = ConversationRules.HumanReplied(waiting, Guid.NewGuid(), Now.AddMinutes(5)).State;
        var closed = ConversationRules.TimerDue(answered, ConversationTimers.ResponseWindow, LockPolicy.Default, Now.AddHours(24));
        Assert.Equal(ConversationStatus.Open, closed.State.Status);
        var botOnly = waiting with { BotReplies = 1 };   // the bot answered and nobody asked for a person
        Assert.Equal(ConversationStatus.Open,
            ConversationRules.TimerDue(botOnly, ConversationTimers.ResponseWindow, LockPolicy.Default, Now.AddHours(24)).State.Status);
    }

    [Fact]
    public void After_the_agent_spoke_last_the_customers_silence_resolves_it_as_inactive_unless_they_wrote()
    {
        var waiting = ConversationRules.Receive(Fresh(), [Msg(Now)], WhatsApp24h, Now).State with { Version = 1 };
        var answered = ConversationRules.HumanReplied(waiting, Guid.NewGuid(), Now.AddMinutes(5)).State;
        var spoke = ConversationRules.AgentSpoke(answered, LockPolicy.Default, Now.AddMinutes(5));
        Assert.Contains(spoke.Timers, t => t.Kind == ConversationTimers.Inactivity && t.DueAt == Now.AddMinutes(5).AddHours(24));
        var inactive = ConversationRules.TimerDue(answered, ConversationTimers.Inactivity, LockPolicy.Default, Now.AddHours(25));
        Assert.Equal(Resolutions.Inactive, inactive.State.Resolution);

        var wrote = ConversationRules.Receive(ConversationDeadlines.Apply(answered, spoke.Timers), [Msg(Now.AddHours(2))], WhatsApp24h,
            Now.AddHours(2));
        Assert.Contains(wrote.Timers, t => t.Kind == ConversationTimers.Inactivity && t.DueAt is null);
        Assert.Equal(ConversationStatus.Open,
            ConversationRules.TimerDue(wrote.State, ConversationTimers.Inactivity, LockPolicy.Default, Now.AddHours(25)).State.Status);
    }

    [Fact]
    public void A_resolved_conversation_takes_no_messages()
    {
        var resolved = Fresh() with { Status = ConversationStatus.Resolved, Version = 3 };
        Assert.Throws<InvalidOperationException>(() => ConversationRules.Receive(resolved, [Msg(Now)], WhatsApp24h, Now));
    }

    [Fact]
    public void An_unknown_timer_kind_is_an_error_not_a_silent_no_op()
    {
        Assert.Throws<InvalidOperationException>(() => ConversationRules.TimerDue(Fresh(), "nope", LockPolicy.Default, Now));
    }

    [Fact]
    public void Reply_time_runs_from_the_first_unanswered_customer_message_to_each_human_reply()
    {
        var agent = Guid.NewGuid();
        var opened = ConversationRules.Receive(Fresh(), [Msg(Now)], WhatsApp24h, Now).State with { Version = 1 };
        var again = ConversationRules.Receive(opened, [Msg(Now.AddSeconds(30))], WhatsApp24h, Now.AddSeconds(30)).State;
        Assert.Equal(Now, again.AwaitingSince);                                  // the second message does not restart the wait

        var first = ConversationRules.HumanReplied(again, agent, Now.AddSeconds(90));
        var e = Assert.Single(first.Events);
        Assert.Equal(ConversationEvents.HumanReplied, e.Type);
        Assert.Equal(90.0, (double?)e.Data.GetType().GetProperty("ReplySeconds")!.GetValue(e.Data));
        Assert.Equal(true, e.Data.GetType().GetProperty("First")!.GetValue(e.Data));
        Assert.Null(first.State.AwaitingSince);

        // A second reply with nothing new from the customer is not a reply time; a new message starts a new wait.
        Assert.False(ConversationRules.HumanReplied(first.State, agent, Now.AddSeconds(100)).Changed);
        var asked = ConversationRules.Receive(first.State, [Msg(Now.AddSeconds(200))], WhatsApp24h, Now.AddSeconds(200)).State;
        var second = Assert.Single(ConversationRules.HumanReplied(asked, agent, Now.AddSeconds(260)).Events);
        Assert.Equal(60.0, (double?)second.Data.GetType().GetProperty("ReplySeconds")!.GetValue(second.Data));
        Assert.Equal(false, second.Data.GetType().GetProperty("First")!.GetValue(second.Data));
    }
}
