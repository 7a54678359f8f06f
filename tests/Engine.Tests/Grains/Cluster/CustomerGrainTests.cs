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
}
