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
    public static NpgsqlBatchCommand Insert(Guid id, ConversationState conversation, OutboundMessage message, string author, bool outOfWindow,
        string category, IReadOnlyList<string> warnings, string? idempotencyKey, DateTimeOffset now)
    {
        var insert = Sql.Command("""
            insert into messages (id, business_id, conversation_id, channel_id, contact_id, direction, type, text, content, payload,
                                  reply_to_provider_id, sent_at, status, status_rank, idempotency_key, author_id, out_of_window,
                                  category, warnings, created_at, updated_at)
            values (@id, @b, @conv, @ch, @contact, 'out', @type, @text, @content, @content, @reply, @now, 'queued', 0, @key, @author,
                    @oow, @cat, @warnings, @now, @now)
            """, ("id", id), ("b", conversation.BusinessId), ("conv", conversation.Id), ("ch", conversation.ChannelId), ("contact", conversation.ContactId),
            ("type", message.Type), ("text", DisplayText(message)), ("reply", message.ReplyToProviderId), ("now", now),
            ("key", idempotencyKey), ("author", author), ("oow", outOfWindow), ("cat", category), ("warnings", warnings.ToArray()));
        insert.Parameters.Add(new NpgsqlParameter("content", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(message, Effects.Json) });
        return insert;
    }

    private static string? DisplayText(OutboundMessage m) => m.Type switch
    {
        "template" => $"[template {m.Template?.Name}]",
        "image" or "video" or "audio" or "document" => m.Media?.Caption,
        _ => m.Text,
    };
}
