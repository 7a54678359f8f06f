using Engine.Grains.Conversations;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Messaging;

namespace Engine.Tests.Grains.Messaging;

/// <summary>The response window per channel and policy, at, before and after its edge.</summary>
public class SendDecisionTests
{
    private static readonly DateTimeOffset LastInbound = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private static ConversationState Conversation(TimeSpan window, int windowSends = 0) =>
        ConversationRules.Open(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), LastInbound) with
        {
            LastInboundAt = LastInbound, WindowClosesAt = LastInbound + window, WindowSends = windowSends, Version = 1,
        };

    private static readonly SendPolicy WhatsAppRefuse = new("whatsapp", OutsideWindowPolicies.Refuse, 5);
    private static readonly SendPolicy WhatsAppSurcharge = new("whatsapp", OutsideWindowPolicies.Surcharge, 5);
    private static readonly SendPolicy WeChat = new("wechat", OutsideWindowPolicies.Refuse, 5);

    public static TheoryData<string, int, double, bool, string?, bool, string> Cases => new()
    {
        // policy, window hours, hours after the customer's message, template?, refusal, out of window, category
        { "wa-refuse", 24, 23.999, false, null, false, MessageCategories.Service },
        { "wa-refuse", 24, 24, false, "window_closed", true, "" },
        { "wa-refuse", 24, 30, false, "window_closed", true, "" },
        { "wa-refuse", 24, 30, true, null, true, MessageCategories.BusinessInitiated },
        { "wa-refuse", 24, 1, true, null, false, MessageCategories.BusinessInitiated },
        { "wa-surcharge", 24, 24, false, null, true, MessageCategories.BusinessInitiated },
        { "wa-refuse", 48, 47, false, null, false, MessageCategories.Service },   // the original specification's 48 h
        { "wechat", 48, 47.999, false, null, false, MessageCategories.Service },
        { "wechat", 48, 48, false, "window_closed", true, "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_window_decides(string policy, int windowHours, double hoursAfter, bool template, string? refusal, bool outOfWindow, string category)
    {
        var p = policy switch { "wa-refuse" => WhatsAppRefuse, "wa-surcharge" => WhatsAppSurcharge, _ => WeChat };
        var outcome = ConversationRules.Send(Conversation(TimeSpan.FromHours(windowHours)), Guid.NewGuid(), template, p, LastInbound.AddHours(hoursAfter));
        Assert.Equal(refusal, outcome.RefusalCode);
        Assert.Equal(outOfWindow, outcome.OutOfWindow);
        if (refusal is null) Assert.Equal(category, outcome.Category);
    }

    [Fact]
    public void An_accepted_send_counts_against_the_window_and_goes_to_the_outbox_in_conversation_order()
    {
        var state = Conversation(TimeSpan.FromHours(24));
        var id = Guid.NewGuid();
        var outcome = ConversationRules.Send(state, id, false, WhatsAppRefuse, LastInbound.AddHours(1));
        Assert.Equal(1, outcome.Decision!.State.WindowSends);
        var outbox = Assert.Single(outcome.Decision.Outbox);
        Assert.Equal(ConversationRules.SendTopic, outbox.Topic);
        Assert.Equal($"send:{id}", outbox.IdempotencyKey);
        Assert.Equal($"conversation:{state.Id}", outbox.OrderingKey);
    }

    [Fact]
    public void WeChat_allows_its_quota_per_customer_message_then_refuses()
    {
        var at = LastInbound.AddHours(1);
        Assert.True(ConversationRules.Send(Conversation(TimeSpan.FromHours(48), windowSends: 4), Guid.NewGuid(), false, WeChat, at).Accepted);
        Assert.Equal("window_quota_exhausted", ConversationRules.Send(Conversation(TimeSpan.FromHours(48), windowSends: 5), Guid.NewGuid(), false, WeChat, at).RefusalCode);
        Assert.True(ConversationRules.Send(Conversation(TimeSpan.FromHours(48), windowSends: 5), Guid.NewGuid(), false, WeChat with { WindowQuota = 20 }, at).Accepted);
    }

    [Fact]
    public void A_customer_message_renews_the_quota()
    {
        var state = Conversation(TimeSpan.FromHours(48), windowSends: 5);
        var after = ConversationRules.Receive(state, [new ReceivedMessage(Guid.NewGuid(), "text", LastInbound.AddHours(2))],
            new ConversationPolicy(TimeSpan.FromHours(48)), LastInbound.AddHours(2)).State;
        Assert.Equal(0, after.WindowSends);
    }
}
