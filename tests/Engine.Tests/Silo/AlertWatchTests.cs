using Engine.Grains.Assignment;
using Engine.Grains.Automation;
using Engine.Grains.Conversations;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Alerts;
using Engine.Silo.Assignment;
using Npgsql;

namespace Engine.Tests.Silo;

public class AlertWatchTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private static readonly AlertThresholds Thresholds = new(TimeSpan.FromMinutes(3), TimeSpan.FromSeconds(30),
        BusinessHours.Default("UTC"), new Dictionary<Guid, BusinessHours>());   // open 08:00–22:00

    [Fact]
    public void Opening_and_queueing_arm_the_alert_checks_in_the_conversation_state_the_latest_event_counting()
    {
        var state = ConversationRules.Open(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Now);
        var armed = AlertWatch.Arm(state,
        [
            new DomainEvent(ConversationEvents.Opened, Now, new { }),
            new DomainEvent(ConversationEvents.BotHandedOver, Now.AddSeconds(10), new { }),
            new DomainEvent(ConversationEvents.Queued, Now.AddSeconds(10), new { }),
            new DomainEvent(ConversationEvents.MessageReceived, Now.AddSeconds(20), new { }),
        ], new Dictionary<Guid, AlertThresholds> { [state.BusinessId] = Thresholds });

        Assert.Equal(Now.AddSeconds(190), armed.Deadlines[ConversationTimers.FirstResponseAlert]);
        Assert.Equal(Now.AddSeconds(40), armed.Deadlines[ConversationTimers.WaitingAlert]);
        Assert.Equal(2, armed.Deadlines.Count);
    }

    [Fact]
    public void Checks_count_business_time_and_a_queue_entered_after_hours_waits_for_the_opening()
    {
        var late = new DateTimeOffset(2026, 3, 2, 21, 59, 0, TimeSpan.Zero);   // one business minute left today
        var opening = new DateTimeOffset(2026, 3, 3, 8, 0, 0, TimeSpan.Zero);
        var thresholds = new Dictionary<Guid, AlertThresholds>();
        ConversationState Armed(DateTimeOffset at)
        {
            var state = ConversationRules.Open(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), at);
            thresholds[state.BusinessId] = Thresholds;
            DomainEvent[] events = [new(ConversationEvents.Opened, at, new { }), new(ConversationEvents.Queued, at, new { })];
            return QueueWatch.Arm(AlertWatch.Arm(state, events, thresholds), events, thresholds);
        }

        var beforeClosing = Armed(late);
        Assert.Equal(opening.AddMinutes(2), beforeClosing.Deadlines[ConversationTimers.FirstResponseAlert]);
        Assert.Equal(late.AddSeconds(30), beforeClosing.Deadlines[ConversationTimers.WaitingAlert]);
        Assert.False(beforeClosing.Deadlines.ContainsKey(ConversationTimers.QueueOpening));   // it can be offered now
        Assert.Equal(late + QueueNotice.MinInterval, beforeClosing.Deadlines[ConversationTimers.QueueUpdate]);

        var night = Armed(late.AddHours(1));
        Assert.Equal(opening.AddMinutes(3), night.Deadlines[ConversationTimers.FirstResponseAlert]);
        Assert.Equal(opening.AddSeconds(30), night.Deadlines[ConversationTimers.WaitingAlert]);
        Assert.Equal(opening, night.Deadlines[ConversationTimers.QueueOpening]);
        Assert.Equal(opening + QueueNotice.MinInterval, night.Deadlines[ConversationTimers.QueueUpdate]);
    }

    [Fact]
    public void Being_answered_or_assigned_clears_only_the_alerts_that_no_longer_hold()
    {
        var open = ConversationRules.Open(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Now);
        var answered = open with { FirstHumanReplyAt = Now, QueuedAt = Now, TeamId = Guid.NewGuid() };   // still waiting
        var assigned = open with { Id = Guid.NewGuid(), AssigneeId = Guid.NewGuid(), QueuedAt = Now, TeamId = Guid.NewGuid() };
        var untouched = open with { Id = Guid.NewGuid() };
        Decision<ConversationState> With(ConversationState s, string type) =>
            new(s, [new DomainEvent(type, Now, new { })], [], []);

        var batch = new NpgsqlBatch();
        AlertWatch.AppendClears(batch,
        [
            With(answered, ConversationEvents.HumanReplied),
            With(assigned, ConversationEvents.Assigned),
            With(untouched, ConversationEvents.MessageReceived),
        ], Now);

        var clear = Assert.Single(batch.BatchCommands.Cast<NpgsqlBatchCommand>());
        Assert.Equal([answered.Id, assigned.Id], (Guid[])clear.Parameters["ids"].Value!);
        Assert.Equal(["first_response", "waiting,vip_waiting"], (string[])clear.Parameters["kinds"].Value!);
    }
}
