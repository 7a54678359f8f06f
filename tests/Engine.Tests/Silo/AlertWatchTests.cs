using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Alerts;
using Npgsql;

namespace Engine.Tests.Silo;

public class AlertWatchTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    // A group commit can hold two decisions for one new conversation (two deliveries from one customer): arming its
    // timer twice in one statement would fail the whole group ("ON CONFLICT DO UPDATE cannot affect row a second time").
    [Fact]
    public void A_conversation_is_armed_once_per_kind_whatever_the_group_holds()
    {
        var business = Guid.NewGuid();
        var conversation = Guid.NewGuid();
        var events = new List<(Guid, string, Guid, DomainEvent)>
        {
            (business, "conversation", conversation, new DomainEvent(ConversationEvents.Opened, Now, new { })),
            (business, "conversation", conversation, new DomainEvent(ConversationEvents.Opened, Now.AddSeconds(1), new { })),
            (business, "conversation", conversation, new DomainEvent(ConversationEvents.Queued, Now, new { })),
            (business, "conversation", conversation, new DomainEvent(ConversationEvents.Assigned, Now, new { })),
            (business, "conversation", conversation, new DomainEvent(ConversationEvents.HumanReplied, Now, new { })),
        };
        var batch = new NpgsqlBatch();
        AlertWatch.Append(batch, events, Now);
        var arm = batch.BatchCommands[0];
        Assert.Equal([conversation, conversation], (Guid[])arm.Parameters["i"].Value!);
        Assert.Equal(["first_response", "waiting"], ((string[])arm.Parameters["k"].Value!).Order().ToArray());
        Assert.Contains(Now.AddSeconds(1), (DateTimeOffset[])arm.Parameters["a"].Value!);   // the latest opening counts
        Assert.Equal([conversation], (Guid[])batch.BatchCommands[1].Parameters["ids"].Value!);
    }
}
