using System.Text.Json;
using Engine.Grains.Conversations;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Channels;
using Engine.Grains.Interfaces.Customers;
using Engine.Grains.Interfaces.Messaging;
using Engine.Grains.Messaging;
using Engine.Silo.Channels;
using Engine.Silo.Database;
using Engine.Silo.Messages;
using Engine.Silo.Runtime;
using Engine.Silo.Usage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Engine.Silo.Outbound;

/// <summary>
/// Dispatches one accepted message to its provider. Limits first — the recipient's pair limit and the
/// new-customer limit, kept by the recipient's customer grain (sends to one conversation are serialised by the
/// outbox's ordering key, so asking and recording cannot race), then a slot in the number's per-second budget (its
/// channel grain, one activation for the whole cluster) — and
/// a message over a limit waits its turn. Then the provider call with the message id as idempotency
/// key; the outcome is recorded (and priced) in one transaction. An uploaded attachment goes to the provider first
/// (<see cref="AttachmentUploads"/>), and the message is sent by the media id it gets.
/// </summary>
public sealed class SendHandler(
    NpgsqlDataSource db, ChannelStore channels, WhatsAppClient whatsApp, WeChatClient weChat, AttachmentUploads uploads,
    UsageLedger ledger, TimeProvider clock, IGrainFactory grains, IOptions<EngineOptions> options, EngineMetrics metrics) : IOutboxHandler
{
    public string Topic => ConversationRules.SendTopic;

    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        var messageId = item.Payload.GetProperty("messageId").GetGuid();
        await using var conn = await db.OpenConnectionAsync(ct);
        var row = (await Sql.QueryAsync(conn, null, """
            select m.status, m.payload::text, m.channel_id, m.contact_id, c.external_id, c.phone, c.bsuid, c.first_seen_at, m.conversation_id, m.business_id,
                   m.notice
              from messages m join contacts c on c.id = m.contact_id where m.id = @id
            """, r => (Status: r.GetString(0), Payload: r.GetString(1), Channel: r.GetGuid(2), Contact: r.GetGuid(3),
                To: new Recipient(r.GetString(4), r.NullableString(5), r.NullableString(6)), FirstSeen: r.Time(7), Conversation: r.GetGuid(8),
                Business: r.GetGuid(9), Notice: r.NullableString(10)), ct, ("id", messageId)))
            .SingleOrDefault();
        if (row.Payload is null) return new OutboxResult.Failed($"message {messageId} does not exist");
        if (row.Status != "queued") return new OutboxResult.Done(); // already went out (a re-driven row)
        var channel = await channels.FindCachedAsync(row.Channel, ct) ?? throw new InvalidOperationException("channel is gone");

        var now = clock.GetUtcNow();
        // A notice whose turn came after things moved on (the customer was assigned, the agent already wrote) is
        // dropped rather than sent untrue.
        if (row.Notice is { } notice && !await Assignment.Notices.StillAppliesAsync(conn, messageId, notice, ct))
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            await StatusBook.MarkDroppedAsync(conn, tx, messageId, $"The {notice} notice no longer applies.", now, ct);
            await RecordAsync(conn, tx, row.Conversation, row.Business, "message.dropped", new { MessageId = messageId, Notice = notice }, now, ct);
            await tx.CommitAsync(ct);
            return new OutboxResult.Done();
        }
        var message = JsonSerializer.Deserialize<OutboundMessage>(row.Payload, Effects.Json)!;
        var result = message.Media?.AttachmentId is null ? null
            : await uploads.MediaIdAsync(conn, channel, messageId, message.Type, ct);
        if (result is ProviderResult.Sent { ProviderMessageId: { } mediaId })
        {
            message = message with { Media = message.Media! with { Id = mediaId } };
            result = null;
        }
        var recipient = grains.GetGrain<ICustomerGrain>(GrainKeys.Customer(row.Contact));
        if (result is null)
        {
            var o = options.Value;
            var limits = new RecipientLimits(o.PairLimit, o.PairWindow, o.NewCustomerSendsPerMinute, o.NewCustomerAge,
                row.FirstSeen);
            if (await recipient.SendWaitUntil(limits) is { } until)
                return new OutboxResult.Defer(until - now, "recipient rate limit");
            var number = grains.GetGrain<IChannelGrain>(GrainKeys.Channel(channel.Id));
            var slot = await number.TakeSendSlot(channel.RateLimitPerSecond);
            if (!slot.Granted) return new OutboxResult.Defer(slot.RetryAfter, "number rate limit");
            result = channel.Kind == ChannelKinds.WhatsApp
                ? await whatsApp.SendAsync(channel, row.To, message, messageId.ToString(), ct)
                : await weChat.SendAsync(channel, row.To, message, ct);
        }

        now = clock.GetUtcNow();
        metrics.Sent(channel.Kind, result switch
        {
            ProviderResult.Sent => "sent", ProviderResult.Transient => "transient", _ => "permanent",
        }, result switch { ProviderResult.Transient t => t.Code, ProviderResult.Permanent p => p.Code, _ => null });
        switch (result)
        {
            case ProviderResult.Sent sent:
                await using (var tx = await conn.BeginTransactionAsync(ct))
                {
                    await StatusBook.MarkAcceptedAsync(conn, tx, messageId, sent.ProviderMessageId, now, ct);
                    await ledger.RecordAsync(conn, tx, messageId, now, ct);
                    await RecordAsync(conn, tx, row.Conversation, row.Business, "message.sent", new { MessageId = messageId, ProviderMessageId = sent.ProviderMessageId }, now, ct);
                    await tx.CommitAsync(ct);
                }
                await recipient.SendAccepted(now);
                return new OutboxResult.Done();
            case ProviderResult.Permanent p:
                await FailAsync(conn, row.Conversation, row.Business, messageId, p.Code, p.Reason, now, ct);
                return new OutboxResult.Failed($"{p.Code}: {p.Reason}");
            case ProviderResult.Transient t when item.Attempts >= OutboxDispatcher.MaxAttempts:
                await FailAsync(conn, row.Conversation, row.Business, messageId, t.Code, $"gave up after {item.Attempts} attempts: {t.Reason}", now, ct);
                return new OutboxResult.Failed(t.Reason);
            case ProviderResult.Transient t:
                return new OutboxResult.Retry($"{t.Code}: {t.Reason}", t.After);
            default:
                throw new InvalidOperationException();
        }
    }

    private static async Task FailAsync(NpgsqlConnection conn, Guid conversation, Guid business, Guid messageId, int? code, string reason, DateTimeOffset now, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        await StatusBook.MarkFailedAsync(conn, tx, messageId, code, reason, now, ct);
        await RecordAsync(conn, tx, conversation, business, "message.failed", new { MessageId = messageId, Code = code, Reason = reason }, now, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The send's outcome as an event of its conversation (published to webhook subscribers in order).</summary>
    private static async Task RecordAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid conversation, Guid business, string type, object data, DateTimeOffset now, CancellationToken ct)
    {
        var effects = new Effects();
        effects.Add(Conversations.ConversationStore.EntityType, conversation, business,
            new Engine.Grains.Interfaces.Runtime.Decision<int>(0, [new(type, now, data)], [], []), now);
        var batch = new NpgsqlBatch(conn, tx);
        effects.AppendTo(batch, now);
        await batch.ExecuteNonQueryAsync(ct);
    }
}
