using Engine.Grains.Contacts;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Customers;
using Engine.Grains.Interfaces.Ingestion;

namespace Engine.Tests.Grains.Cluster;

/// <summary>What a customer writes is received by the grain of the identity that wrote and committed by the grain of
/// the customer it is stored as.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class CustomerInboundTests(GrainCluster c)
{
    private static InboundBatch Part(Guid channel, string externalId, params string[] providerIds) =>
        new(channel, [.. providerIds.Select(id => new InboundMessage(id, new InboundContact(externalId, null, null, null),
            DateTimeOffset.UnixEpoch, "text", "hi", "{}", null))], [], []);

    private ICustomerGrain IdentityGrain(int silo, Guid channel, string externalId) =>
        c.Alternating<ICustomerGrain>(silo, GrainKeys.Customer(ContactIds.For(channel, externalId)));

    [Fact]
    public async Task A_redelivered_message_is_committed_once_whichever_silo_receives_it()
    {
        var channel = Guid.NewGuid();
        var part = Part(channel, "66810000001", "wamid.A", "wamid.B");
        await IdentityGrain(0, channel, "66810000001").Receive(part);
        await IdentityGrain(1, channel, "66810000001").Receive(part);
        await IdentityGrain(0, channel, "66810000001").Receive(Part(channel, "66810000001", "wamid.B", "wamid.C"));

        Assert.Equal(1, c.Inbound.Count(channel, "wamid.A"));
        Assert.Equal(1, c.Inbound.Count(channel, "wamid.B"));
        Assert.Equal(1, c.Inbound.Count(channel, "wamid.C"));
    }

    /// <summary>The second identity was merged into the first: once a commit told its grain so, its messages are
    /// committed by the customer's grain, which then knows them as its own.</summary>
    [Fact]
    public async Task A_merged_identitys_messages_are_committed_by_its_customers_grain()
    {
        var (whatsapp, wechat) = (Guid.NewGuid(), Guid.NewGuid());
        var customer = ContactIds.For(whatsapp, "66810000002");
        c.Inbound.Stored[(wechat, "oOpenId2")] = customer;

        Assert.Equal(customer, await IdentityGrain(1, wechat, "oOpenId2").Receive(Part(wechat, "oOpenId2", "wx-1")));
        Assert.Equal(customer, await IdentityGrain(0, wechat, "oOpenId2").Receive(Part(wechat, "oOpenId2", "wx-2")));
        // Delivered again straight to the customer's grain: it committed wx-2, so it has it.
        await c.Alternating<ICustomerGrain>(0, GrainKeys.Customer(customer)).Receive(Part(wechat, "oOpenId2", "wx-2"));

        Assert.Equal(1, c.Inbound.Count(wechat, "wx-1"));
        Assert.Equal(1, c.Inbound.Count(wechat, "wx-2"));
    }

    /// <summary>An identity not merged into anyone is its own customer: its grain commits.</summary>
    [Fact]
    public async Task An_identity_of_its_own_is_committed_by_its_own_grain()
    {
        var channel = Guid.NewGuid();
        Assert.Equal(ContactIds.For(channel, "66810000004"),
            await IdentityGrain(0, channel, "66810000004").Receive(Part(channel, "66810000004", "wamid.own")));
    }

    /// <summary>A bot turn inside the commit a delivery awaits reserves from the same grain's cap: that call goes
    /// through while the delivery is in flight.</summary>
    [Fact]
    public async Task The_cap_is_reserved_while_the_customers_delivery_is_being_committed()
    {
        var channel = Guid.NewGuid();
        var grain = IdentityGrain(0, channel, "66810000003");
        c.Inbound.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            var receiving = grain.Receive(Part(channel, "66810000003", "wamid.held"));
            await c.Inbound.Holding.Task.WaitAsync(TimeSpan.FromSeconds(30));

            var allowance = await grain.ReserveAutomated().WaitAsync(TimeSpan.FromSeconds(30));
            await grain.SettleAutomated(allowance.Lease).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(receiving.IsCompleted);

            c.Inbound.Hold.SetResult();
            await receiving;
            Assert.Equal(1, c.Inbound.Count(channel, "wamid.held"));
        }
        finally { c.Inbound.Reset(); }
    }

    /// <summary>Once a commit told the customer's grain which conversation is open, that conversation's grain commits
    /// the next messages (in its own turn, with what people do to it); after it is resolved, the next message opens
    /// another, whose grain takes over.</summary>
    [Fact]
    public async Task The_open_conversations_grain_commits_the_customers_next_messages()
    {
        var channel = Guid.NewGuid();
        var customer = IdentityGrain(0, channel, "66810000005");
        var own = GrainKeys.Customer(ContactIds.For(channel, "66810000005"));

        await customer.Receive(Part(channel, "66810000005", "m1"));
        await customer.Receive(Part(channel, "66810000005", "m2"));
        c.Inbound.Resolve(channel, "66810000005");
        await customer.Receive(Part(channel, "66810000005", "m3"));
        await customer.Receive(Part(channel, "66810000005", "m4"));

        Assert.Equal(own, c.Inbound.CommittedBy(channel, "m1"));      // no conversation known yet: the commit finds one
        var first = c.Inbound.CommittedBy(channel, "m2");
        Assert.StartsWith("conv:", first);
        Assert.Equal(first, c.Inbound.CommittedBy(channel, "m3"));     // the resolved one's grain: the commit opens another
        var second = c.Inbound.CommittedBy(channel, "m4");
        Assert.StartsWith("conv:", second);
        Assert.NotEqual(first, second);
    }
}
