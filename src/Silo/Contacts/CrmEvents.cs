using System.Text.Json;
using Engine.Grains.Contacts;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Engine.Silo.Queries;
using Engine.Silo.Runtime;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Contacts;

/// <summary>An event an integrator posts: a paid order (<c>conversion</c>) or a profile update (<c>contact.update</c>).</summary>
public sealed record CrmEvent(string EventId, string Type, Guid? ContactId, string? Phone, string? Email,
    decimal? Amount, string? Currency, string? OrderId, DateTimeOffset? At, Guid? ConversationId, ContactChange? Profile);

public sealed record CrmResult(ContactView Contact, bool Duplicate);

/// <summary>
/// Inbound CRM events, once each (by the integrator's event id). A conversion adds to the customer's
/// lifetime spend, becomes their last order, and is recorded on the contact (and the conversation it
/// converted, for the funnel).
/// </summary>
public sealed class CrmEvents(NpgsqlDataSource db, ContactStore contacts, ConversationQueries queries, TimeProvider clock)
{
    /// <summary>The customer the event is about (its merged root), or null.</summary>
    public async Task<Guid?> ResolveAsync(Guid business, CrmEvent e, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await ResolveAsync(conn, null, business, e, ct);
    }

    /// <summary>Applies the event to <paramref name="customer"/> (called by the customer's grain).</summary>
    public async Task<CrmResult?> ProcessAsync(Actor actor, Guid customer, CrmEvent e, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        Guid? contactId = customer;
        await using (var cmd = Sql.Command(conn, tx, """
            insert into crm_events (business_id, event_id, type, contact_id, payload, received_at) values (@b, @e, @t, @c, @p, @now)
            on conflict (business_id, event_id) do nothing
            """, ("b", actor.BusinessId), ("e", e.EventId), ("t", e.Type), ("c", contactId), ("now", now)))
        {
            cmd.Parameters.Add(new NpgsqlParameter("p", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(e, Effects.Json) });
            if (await cmd.ExecuteNonQueryAsync(ct) == 0)
                return new CrmResult((await queries.ContactAsync(actor.BusinessId, contactId.Value, ct))!, Duplicate: true);
        }
        if (e.Type == "conversion")
        {
            var order = new { id = e.OrderId, amount = e.Amount, currency = e.Currency, at = e.At ?? now, conversationId = e.ConversationId };
            await using (var cmd = Sql.Command(conn, tx, """
                update contacts set lifetime_spend = lifetime_spend + @a,
                       last_order = case when last_order is null or (last_order->>'at')::timestamptz <= @at then @o else last_order end,
                       updated_at = @now, version = version + 1
                 where id = @c
                """, ("a", e.Amount!.Value), ("at", e.At ?? now), ("now", now), ("c", contactId)))
            {
                cmd.Parameters.Add(new NpgsqlParameter("o", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(order) });
                await cmd.ExecuteNonQueryAsync(ct);
            }
            var effects = new Effects();
            var data = new { e.EventId, e.OrderId, e.Amount, e.Currency, At = e.At ?? now, e.ConversationId, ContactId = contactId };
            effects.Add(ContactEvents.EntityType, contactId.Value, actor.BusinessId, new Decision<int>(0, [new(ContactEvents.Converted, now, data)], [], []), now);
            var batch = new NpgsqlBatch(conn, tx);
            if (e.ConversationId is { } conversation)
            {
                // The funnel and the wait tiers read the first conversion from the conversation itself: its grain marks it.
                effects.Add(Conversations.ConversationStore.EntityType, conversation, actor.BusinessId,
                    new Decision<int>(0, [new("conversation.converted", now, data)], [],
                        [Conversations.FollowUps.Convert(conversation, now)]), now);
            }
            effects.AppendTo(batch, now);
            batch.BatchCommands.Add(AuditLog.Entry(actor, "crm.conversion", "contact", contactId.Value, null, data, now));
            await batch.ExecuteNonQueryAsync(ct);
        }
        else if (!await contacts.UpdateAsync(conn, tx, actor, contactId.Value, e.Profile ?? new ContactChange(), ct)) return null;
        await tx.CommitAsync(ct);
        return new CrmResult((await queries.ContactAsync(actor.BusinessId, contactId.Value, ct))!, Duplicate: false);
    }

    /// <summary>The customer by id, else by phone (E.164) or email; a merged contact resolves to the one it was merged into.</summary>
    private static async Task<Guid?> ResolveAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid business, CrmEvent e, CancellationToken ct)
    {
        var phone = PhoneNumbers.ToE164(e.Phone);
        var rows = await Sql.QueryAsync(conn, tx, """
            select coalesce(merged_into, id) from contacts
             where business_id = @b and ((@id::uuid is not null and id = @id) or (@id::uuid is null and
                   ((@phone::text is not null and phone_e164 = @phone) or (@email::text is not null and lower(email) = lower(@email)))))
             order by merged_into nulls first, created_at limit 1
            """, r => r.GetGuid(0), ct, ("b", business), ("id", e.ContactId), ("phone", phone), ("email", e.Email));
        return rows.Count == 0 ? null : rows[0];
    }
}
