using Engine.Grains.Contacts;
using Engine.Grains.Customers;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Customers;
using Engine.Grains.Interfaces.Ingestion;
using Engine.Silo.Channels;
using ChannelRecord = Engine.Silo.Channels.Channel;

namespace Engine.Silo.Ingestion;

/// <summary>
/// Where a verified, parsed webhook delivery goes: split by the customer identity that wrote, each part received by
/// that identity's grain (which commits it as its customer, one delivery at a time), and the delivery statuses of the
/// business's own messages straight to this node's group commit (they only move a message's status forward, the same
/// whatever the order). Completes once every part is committed: the webhook acknowledges only then.
/// </summary>
public sealed class InboundRouter(IGrainFactory grains, IngestPipeline pipeline)
{
    public Task IngestAsync(ChannelRecord channel, InboundBatch batch)
    {
        var parts = batch.Messages.GroupBy(m => m.Contact.ExternalId, StringComparer.Ordinal)
            .Select(g => (Identity: g.Key, Messages: g.ToList(), Events: new List<InboundEvent>()))
            .ToDictionary(p => p.Identity, StringComparer.Ordinal);
        foreach (var e in batch.Events)
        {
            if (!parts.TryGetValue(e.Contact.ExternalId, out var part))
                parts[e.Contact.ExternalId] = part = (e.Contact.ExternalId, [], []);
            part.Events.Add(e);
        }
        var work = parts.Values.Select(Task (p) => grains
            .GetGrain<ICustomerGrain>(GrainKeys.Customer(ContactIds.For(channel.Id, p.Identity)))
            .Receive(new InboundBatch(channel.Id, p.Messages, [], p.Events))).ToList();
        if (batch.Statuses.Count > 0)
            work.Add(pipeline.IngestAsync(channel, new InboundBatch(channel.Id, [], batch.Statuses, [])));
        return Task.WhenAll(work);
    }
}

/// <summary>The customer and conversation grains' way in: this node's group commit.</summary>
public sealed class InboundPort(IngestPipeline pipeline, ChannelStore channels) : IInboundPort
{
    public async Task<InboundStored> CommitAsync(InboundBatch part, CancellationToken ct)
    {
        var channel = await channels.FindCachedAsync(part.ChannelId, ct)
            ?? throw new InvalidOperationException($"Channel {part.ChannelId} is gone.");
        var identity = part.Writer ?? throw new ArgumentException("A customer's part names who wrote.", nameof(part));
        var stored = await pipeline.IngestAsync(channel, part);
        return stored.GetValueOrDefault((part.ChannelId, identity.ExternalId))
            ?? throw new InvalidOperationException($"The commit did not store identity {identity.ExternalId}.");
    }
}
