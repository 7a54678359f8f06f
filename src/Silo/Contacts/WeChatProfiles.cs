using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Channels;
using Engine.Silo.Database;
using Engine.Silo.Outbound;
using Engine.Silo.Runtime;
using Npgsql;

namespace Engine.Silo.Contacts;

/// <summary>
/// A new WeChat customer's language from their WeChat profile (<c>/cgi-bin/user/info</c>), fetched through the outbox
/// after the message that created them is stored (not part of the webhook's commit). It replaces a language guessed
/// from the script of their messages, never one a person set; the change is a <c>contact.changed</c> event.
/// </summary>
public sealed class WeChatProfiles(NpgsqlDataSource db, ChannelStore channels, WeChatClient weChat, TimeProvider clock)
    : IOutboxHandler
{
    public const string Topic = "contact.wechat_profile";
    string IOutboxHandler.Topic => Topic;

    public static OutboxIntent Fetch(Guid contact) => new(Topic, $"wechat-profile:{contact}", new { ContactId = contact });

    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        var id = item.Payload.GetProperty("contactId").GetGuid();
        await using var conn = await db.OpenConnectionAsync(ct);
        var contact = (await Sql.QueryAsync(conn, null,
            "select business_id, channel_id, external_id, language_source from contacts where id = @c",
            r => (Business: r.GetGuid(0), Channel: r.GetGuid(1), OpenId: r.GetString(2), Source: r.NullableString(3)), ct,
            ("c", id))).SingleOrDefault();
        if (contact.OpenId is null || contact.Source == "person") return new OutboxResult.Done();
        if (await channels.FindCachedAsync(contact.Channel, ct) is not { Enabled: true } channel) return new OutboxResult.Done();
        switch (await weChat.UserLanguageAsync(channel, contact.OpenId, ct))
        {
            case ProviderResult.Sent { ProviderMessageId: { } language }:
                var now = clock.GetUtcNow();
                await using (var tx = await conn.BeginTransactionAsync(ct))
                {
                    var changed = await Sql.ExecAsync(conn, tx, """
                        update contacts set language = @l, language_source = 'wechat', updated_at = @now, version = version + 1
                         where id = @c and language_source is distinct from 'person' and language is distinct from @l
                        """, ct, ("c", id), ("l", language), ("now", now));
                    if (changed > 0)
                    {
                        var effects = new Effects();
                        effects.Add(ContactEvents.EntityType, id, contact.Business, new Decision<int>(0,
                            [new DomainEvent(ContactEvents.Changed, now, new { Language = language, Source = "wechat" })], [], []), now);
                        var batch = new NpgsqlBatch(conn, tx);
                        effects.AppendTo(batch, now);
                        await batch.ExecuteNonQueryAsync(ct);
                    }
                    await tx.CommitAsync(ct);
                }
                return new OutboxResult.Done();
            case ProviderResult.Transient t:
                return new OutboxResult.Retry($"{t.Code}: {t.Reason}", t.After);
            default:
                // Not a follower, an unknown openid, no language given: nothing to learn.
                return new OutboxResult.Done();
        }
    }
}
