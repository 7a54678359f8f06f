using System.Text.Json;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Messaging;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Outbound;

/// <summary>The outbound message row, written in the transaction that accepted the send (with its outbox row).</summary>
public static class OutboundMessages
{
    /// <summary>Who wrote an automated message: the engine (notices, the CSAT question) or the bot.</summary>
    public const string EngineAuthor = "engine", BotAuthor = "bot";

    /// <summary>A message a person wrote (an agent, a supervisor, an integrator's key), not an automated one.</summary>
    public static bool IsPerson(string? author) => author is not (null or EngineAuthor or BotAuthor);

    /// <summary><see cref="IsPerson"/> in SQL, on the messages row.</summary>
    public const string PersonSql = $"author_id not in ('{EngineAuthor}', '{BotAuthor}')";

    public static NpgsqlBatchCommand Insert(Guid id, ConversationState conversation, OutboundMessage message, string author, bool outOfWindow,
        string category, IReadOnlyList<string> warnings, string? idempotencyKey, DateTimeOffset now, string? notice = null)
    {
        var insert = Sql.Command("""
            insert into messages (id, business_id, conversation_id, channel_id, contact_id, direction, type, text, content, payload,
                                  reply_to_provider_id, sent_at, status, status_rank, idempotency_key, author_id, out_of_window,
                                  category, warnings, notice, created_at, updated_at)
            values (@id, @b, @conv, @ch, @contact, 'out', @type, @text, @content, @content, @reply, @now, 'queued', 0, @key, @author,
                    @oow, @cat, @warnings, @notice, @now, @now)
            """, ("id", id), ("b", conversation.BusinessId), ("conv", conversation.Id), ("ch", conversation.ChannelId), ("contact", conversation.ContactId),
            ("type", message.Type), ("text", DisplayText(message)), ("reply", message.ReplyToProviderId), ("now", now),
            ("key", idempotencyKey), ("author", author), ("oow", outOfWindow), ("cat", category), ("warnings", warnings.ToArray()),
            ("notice", notice));
        insert.Parameters.Add(new NpgsqlParameter("content", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(message, Effects.Json) });
        return insert;
    }

    /// <summary>The uploaded attachment a message sends, as its stored media (shown in the thread, served like a
    /// customer's; the provider's media id is recorded when the send uploads it).</summary>
    public static NpgsqlBatchCommand AttachMedia(Guid message, Guid attachment, Guid business, DateTimeOffset now) =>
        Sql.Command("""
            insert into message_media (message_id, business_id, status, sha256, content_type, filename, size, created_at,
                                       updated_at)
            select @m, business_id, 'stored', sha256, content_type, filename, size, @now, @now
              from attachments where id = @a and business_id = @b
            """, ("m", message), ("a", attachment), ("b", business), ("now", now));

    /// <summary>
    /// A person's reply goes before the automated messages of the conversation still waiting for their turn (held by
    /// the new-customer limit or a retry): each moves behind it — a new row of the conversation's send order, the old
    /// one done — in the transaction that accepted the reply (after its own row). One being sent now is left alone.
    /// </summary>
    public static NpgsqlBatchCommand PutAutomatedBehind(Guid conversation, DateTimeOffset now) => Sql.Command($"""
        with moved as (
            update outbox o set status = 'done', last_error = 'moved behind a person''s reply', updated_at = @now
              from messages m
             where o.ordering_key = @k and o.status = 'pending' and o.topic = @topic and o.due_at > @now
               and (o.lease_until is null or o.lease_until < @now)
               and m.id = (o.payload->>'messageId')::uuid and m.status = 'queued' and not m.{PersonSql}
            returning o.*)
        insert into outbox (business_id, topic, ordering_key, idempotency_key, payload, attempts, due_at, created_at, updated_at)
        select business_id, topic, ordering_key, idempotency_key || ':after:' || id, payload, attempts, @now, @now, @now
          from moved order by id
        """, ("k", $"conversation:{conversation}"), ("topic", Engine.Grains.Conversations.ConversationRules.SendTopic),
        ("now", now));

    private static string? DisplayText(OutboundMessage m) => m.Type switch
    {
        "template" => $"[template {m.Template?.Name}]",
        "image" or "video" or "audio" or "document" => m.Media?.Caption,
        _ => m.Text,
    };
}
