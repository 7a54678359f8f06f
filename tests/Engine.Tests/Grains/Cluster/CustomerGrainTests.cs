using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Customers;

namespace Engine.Tests.Grains.Cluster;

/// <summary>A recipient's send limits are its customer grain's, whichever silo dispatches.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class CustomerGrainTests(GrainCluster c)
{
    private RecipientLimits Limits(TimeSpan customerFor) =>
        new(PairLimit: 10, PairWindow: TimeSpan.FromMinutes(1), NewCustomerSendsPerMinute: 5,
            NewCustomerAge: TimeSpan.FromHours(24), FirstSeen: c.Clock.GetUtcNow() - customerFor);

    private ICustomerGrain On(int silo, Guid contact) =>
        c.Alternating<ICustomerGrain>(silo, GrainKeys.Customer(contact));

    [Fact]
    public async Task A_new_customers_sixth_message_within_a_minute_waits_whichever_silo_sends()
    {
        var contact = Guid.NewGuid();
        var limits = Limits(TimeSpan.FromHours(1));
        var first = c.Clock.GetUtcNow();
        for (var i = 0; i < 5; i++)
        {
            Assert.Null(await On(i % 2, contact).SendWaitUntil(limits));
            await On(i % 2, contact).SendAccepted(c.Clock.GetUtcNow());
            c.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(first + TimeSpan.FromMinutes(1), await On(1, contact).SendWaitUntil(limits));

        c.Clock.Advance(first + TimeSpan.FromMinutes(1) - c.Clock.GetUtcNow());
        Assert.Null(await On(0, contact).SendWaitUntil(limits));
    }

    [Fact]
    public async Task A_returning_customer_is_held_only_to_the_pair_limit()
    {
        var contact = Guid.NewGuid();
        var limits = Limits(TimeSpan.FromDays(3));
        for (var i = 0; i < 10; i++)
        {
            Assert.Null(await On(i % 2, contact).SendWaitUntil(limits));
            await On(i % 2, contact).SendAccepted(c.Clock.GetUtcNow());
        }
        Assert.NotNull(await On(0, contact).SendWaitUntil(limits));   // the provider's 10 a minute
    }

    [Fact]
    public async Task Sends_recorded_before_the_grain_activated_count()
    {
        var contact = Guid.NewGuid();
        var now = c.Clock.GetUtcNow();
        // Sends recorded before a crash, read back when the grain activates again.
        c.Recipients.Add(contact, [.. Enumerable.Range(0, 5).Select(i => now.AddSeconds(-50 + i))]);
        Assert.Equal(now.AddSeconds(10), await On(1, contact).SendWaitUntil(Limits(TimeSpan.FromHours(2))));
    }

    /// <summary>Two channels of one merged customer take bot turns at once, one through each silo: the turns share
    /// three.</summary>
    [Fact]
    public async Task Bot_turns_on_two_channels_of_one_merged_customer_share_three_automated_messages_in_24_hours()
    {
        var customer = Guid.NewGuid();
        var start = c.Clock.GetUtcNow();
        c.Automated.Sent(customer, start - TimeSpan.FromHours(23));   // one welcome on WhatsApp, 23 hours ago

        // A WhatsApp turn (silo 0) and a WeChat turn (silo 1) in flight together.
        var whatsApp = await On(0, customer).ReserveAutomated();
        var weChat = await On(1, customer).ReserveAutomated();
        Assert.Equal(2, whatsApp.Granted + weChat.Granted);
        Assert.Equal(3, weChat.Spent);

        // The WhatsApp turn sent one reply and committed; the WeChat turn's transaction failed.
        c.Automated.Sent(customer, start);
        await On(0, customer).SettleAutomated(whatsApp.Lease);
        await On(1, customer).SettleAutomated(weChat.Lease);
        var next = await On(1, customer).ReserveAutomated();
        Assert.Equal(1, next.Granted);
        c.Automated.Sent(customer, start);
        await On(0, customer).SettleAutomated(next.Lease);
        Assert.Equal(0, (await On(0, customer).ReserveAutomated()).Granted);

        // Sliding: the 23-hour-old welcome leaves the window an hour later, freeing exactly one.
        c.Clock.Advance(TimeSpan.FromHours(1));
        var later = await On(1, customer).ReserveAutomated();
        Assert.Equal(1, later.Granted);
        await On(1, customer).SettleAutomated(later.Lease);
    }

    [Fact]
    public async Task A_reservation_whose_turn_never_settles_lapses()
    {
        var customer = Guid.NewGuid();
        var held = await On(0, customer).ReserveAutomated();
        Assert.Equal(3, held.Granted);
        Assert.Equal(0, (await On(1, customer).ReserveAutomated()).Granted);
        c.Clock.Advance(Engine.Grains.Customers.AutomatedCap.LeaseLife);
        Assert.Equal(3, (await On(1, customer).ReserveAutomated()).Granted);
    }
}
