using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Contacts;

/// <summary>What an erasure affected: the anonymised customer that keeps the counts, and how many of each.</summary>
public sealed record ErasureResult(
    Guid AnonymisedContactId, int Identities, int Conversations, int Messages, int ContactNotes, int ConversationNotes,
    int Events, int AuditEntries, int CancelledSends);

/// <summary>
/// Removes what identifies a customer, on request (<c>DELETE /api/v1/contacts/{id}</c>) and by the business's retention
/// of message bodies. The counts stay: conversations, messages (type, direction, times, statuses), ratings, spend and
/// VIP remain, so reports over the period are unchanged.
/// </summary>
public sealed class Erasure(NpgsqlDataSource db, TimeProvider clock, Media.IMediaStore media)
{
    /// <summary>What a removed message body becomes.</summary>
    public const string ErasedContent = """{"erased": true}""";

    /// <summary>
    /// Erases the customer <paramref name="contactId"/> belongs to, every merged identity included, in one transaction:
    /// each identity is replaced by an anonymised one under a new id (no name, phone, provider id, e-mail, country,
    /// attributes, tags, order; its language, VIP flag and spend stay for the reports), which takes over its
    /// conversations and messages; message bodies and media references, notes,
    /// rating comments, CRM and channel event details, and the personal fields of its events and audit entries are
    /// removed; sends still queued to it are cancelled. The id the provider's identity derives is free again: the
    /// person writing later is a new customer. Refused while one of its conversations is open. Null when no such
    /// contact is in the business.
    /// </summary>
    public async Task<(ErasureResult Result, Guid[] Identities)?> EraseAsync(Actor actor, Guid contactId,
        CancellationToken ct)
    {
        if (await EraseRowsAsync(actor, contactId, ct) is not var (result, identities, files)) return null;
        await ForgetUnreferencedAsync(db, media, files, ct);
        return (result, identities);
    }

    /// <summary>Deletes from the store the contents no stored attachment names any more (after the commit that
    /// erased them).</summary>
    public static async Task ForgetUnreferencedAsync(NpgsqlDataSource db, Media.IMediaStore store,
        IReadOnlyCollection<string> files, CancellationToken ct)
    {
        if (files.Count == 0) return;
        await using var conn = await db.OpenConnectionAsync(ct);
        var kept = (await Sql.QueryAsync(conn, null, """
            select sha256 from message_media where sha256 = any(@s)
            union select sha256 from attachments where sha256 = any(@s)
            """, r => r.GetString(0), ct, ("s", files.ToArray()))).ToHashSet();
        foreach (var file in files.Where(f => !kept.Contains(f))) store.Delete(file);
    }

    private async Task<(ErasureResult Result, Guid[] Identities, string[] Files)?> EraseRowsAsync(Actor actor,
        Guid contactId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var root = (await Sql.QueryAsync(conn, tx,
            "select coalesce(merged_into, id) from contacts where id = @id and business_id = @b and erased_at is null",
            r => r.GetGuid(0), ct, ("id", contactId), ("b", actor.BusinessId))).SingleOrDefault();
        if (root == Guid.Empty) return null;
        var old = (await Sql.QueryAsync(conn, tx, """
            select id from contacts where (id = @r or merged_into = @r) and business_id = @b
             order by (id = @r) desc, id for update
            """, r => r.GetGuid(0), ct, ("r", root), ("b", actor.BusinessId))).ToArray();
        if (await Sql.QueryAsync(conn, tx,
                "select id from conversations where contact_id = any(@ids) and status = 'open' limit 1",
                r => r.GetGuid(0), ct, ("ids", old)) is [var open])
            throw new RefusedException("conversation_open",
                $"Conversation {open} of this customer is open: resolve it before erasing the customer.");
        var fresh = old.Select(_ => Guid.CreateVersion7(now)).ToArray();
        var conversations = (await Sql.QueryAsync(conn, tx, "select id from conversations where contact_id = any(@ids)",
            r => r.GetGuid(0), ct, ("ids", old))).ToArray();
        (string, object?)[] map = [("old", old), ("new", fresh)];
        (string, object?)[] P(params (string, object?)[] more) => [.. map, .. more];

        // The anonymised identities, the root first (the others are merged into it, as before).
        await Sql.ExecAsync(conn, tx, """
            insert into contacts (id, business_id, channel_id, external_id, first_seen_at, last_seen_at, created_at,
                                  updated_at, version, vip, lifetime_spend, language, merged_into, merged_at, erased_at)
            select n.new, c.business_id, c.channel_id, 'erased:' || n.new, c.first_seen_at, c.last_seen_at, c.created_at,
                   @now, c.version + 1, c.vip, c.lifetime_spend, c.language, m.new, c.merged_at, @now
              from unnest(@old, @new) with ordinality as n(old, new, i)
              join contacts c on c.id = n.old
              left join unnest(@old, @new) as m(old, new) on m.old = c.merged_into
             order by n.i
            """, ct, P(("now", now)));
        // Their attachments: erased with the messages, the stored contents deleted after the commit.
        // Files agents uploaded to send in those conversations go too.
        var files = (await Sql.QueryAsync(conn, tx, """
            select mm.sha256 from message_media mm join messages m on m.id = mm.message_id
             where m.conversation_id = any(@c) and mm.sha256 is not null
            union select sha256 from attachments where conversation_id = any(@c)
            """, r => r.GetString(0), ct, ("c", conversations))).ToArray();
        await Sql.ExecAsync(conn, tx, "delete from attachments where conversation_id = any(@c)", ct, ("c", conversations));
        await Sql.ExecAsync(conn, tx, """
            update message_media mm set status = 'erased', sha256 = null, filename = null, reason = null, updated_at = @now
              from messages m where m.id = mm.message_id and m.conversation_id = any(@c)
            """, ct, ("c", conversations), ("now", now));
        // Every message of the customer is in one of its conversations (read by the conversation's index).
        var messages = await Sql.ExecAsync(conn, tx, $"""
            update messages m set contact_id = n.new, text = null, content = '{ErasedContent}'::jsonb, payload = null,
                   notice = null, erased_at = coalesce(m.erased_at, @now), updated_at = @now
              from conversations v join unnest(@old, @new) as n(old, new) on n.old = v.contact_id
             where v.id = any(@c) and m.conversation_id = v.id
            """, ct, P(("now", now), ("c", conversations)));
        await Sql.ExecAsync(conn, tx, """
            update conversations v set contact_id = n.new from unnest(@old, @new) as n(old, new) where v.contact_id = n.old
            """, ct, map);
        await Sql.ExecAsync(conn, tx, """
            update channel_events e set contact_id = n.new, content = erase_personal(e.content)
              from unnest(@old, @new) as n(old, new) where e.contact_id = n.old
            """, ct, map);
        await Sql.ExecAsync(conn, tx, """
            update crm_events e set contact_id = n.new, payload = erase_personal(e.payload)
              from unnest(@old, @new) as n(old, new) where e.contact_id = n.old
            """, ct, map);
        await Sql.ExecAsync(conn, tx, """
            update csat_requests r set contact_id = n.new, comment = null
              from unnest(@old, @new) as n(old, new) where r.contact_id = n.old
            """, ct, map);
        var contactNotes = await Sql.ExecAsync(conn, tx, "delete from contact_notes where contact_id = any(@old)", ct, map);
        var conversationNotes = await Sql.ExecAsync(conn, tx,
            "update conversation_notes set text = '', updated_at = @now where conversation_id = any(@c) and text <> ''",
            ct, ("c", conversations), ("now", now));
        // Events and audit entries about the customer, its conversations and their messages keep their kind and
        // time, without the personal fields.
        var events = await Sql.ExecAsync(conn, tx, """
            update entity_events e set data = erase_personal(e.data),
                   entity_id = coalesce((select n.new from unnest(@old, @new) as n(old, new) where n.old = e.entity_id),
                                        e.entity_id)
             where e.business_id = @b and (e.entity_id = any(@old) or e.entity_id = any(@c)
                   or e.entity_id in (select id from messages where conversation_id = any(@c)))
            """, ct, P(("b", actor.BusinessId), ("c", conversations)));
        // Audit entries and outbox payloads name their entities as text.
        var (oldText, cText) = (old.Select(i => i.ToString()).ToArray(), conversations.Select(i => i.ToString()).ToArray());
        var audit = await Sql.ExecAsync(conn, tx, """
            update audit_log a set before = erase_personal(a.before), after = erase_personal(a.after),
                   entity_id = coalesce((select n.new::text from unnest(@old, @new) as n(old, new)
                                          where n.old::text = a.entity_id), a.entity_id)
             where a.business_id = @b and (a.entity_id = any(@oldText) or a.entity_id = any(@cText)
                   or a.entity_id in (select id::text from messages where conversation_id = any(@c)))
            """, ct, P(("b", actor.BusinessId), ("c", conversations), ("oldText", oldText), ("cText", cText)));
        var cancelled = await Sql.ExecAsync(conn, tx, """
            update outbox set status = 'failed', last_error = 'the customer was erased', lease_owner = null,
                   lease_until = null, updated_at = @now
             where business_id = @b and status = 'pending'
               and (payload->>'conversationId' = any(@cText) or payload->>'contactId' = any(@oldText))
            """, ct, ("b", actor.BusinessId), ("now", now), ("cText", cText), ("oldText", oldText));
        await Sql.ExecAsync(conn, tx, """
            update outbox set payload = erase_personal(payload)
             where business_id = @b
               and (payload->>'conversationId' = any(@cText) or payload->>'contactId' = any(@oldText))
            """, ct, ("b", actor.BusinessId), ("cText", cText), ("oldText", oldText));
        await Sql.ExecAsync(conn, tx, "update contacts set merged_into = null where id = any(@old)", ct, map);
        await Sql.ExecAsync(conn, tx, "delete from contacts where id = any(@old)", ct, map);

        var result = new ErasureResult(fresh[0], old.Length, conversations.Length, messages, contactNotes,
            conversationNotes, events, audit, cancelled);
        await AuditLog.WriteAsync(conn, tx, actor, "contact.erased", "contact", fresh[0], null, result, now, ct);
        await tx.CommitAsync(ct);
        return (result, old, files);
    }

    /// <summary>
    /// The business's retention (<c>message_retention_days</c>; none: kept): removes the bodies and media references of
    /// messages created before the cutoff, at most <paramref name="limit"/> at a time; returns how many. Conversations
    /// quiet since the last complete run are not read again. Returns the stored contents of their attachments, for
    /// <see cref="ForgetUnreferencedAsync"/> once the transaction committed.
    /// </summary>
    public static async Task<(int Removed, string[] Files)> ApplyRetentionAsync(NpgsqlConnection conn,
        NpgsqlTransaction tx, Guid business, DateTimeOffset now, CancellationToken ct, int limit = 20_000)
    {
        var policy = (await Sql.QueryAsync(conn, tx,
            "select message_retention_days, retention_through from businesses where id = @b",
            r => (Days: r.IsDBNull(0) ? (int?)null : r.GetInt32(0), Through: r.NullableTime(1)), ct,
            ("b", business))).SingleOrDefault();
        if (policy.Days is not { } days) return (0, []);
        var cutoff = now - TimeSpan.FromDays(days);
        var (removed, files) = (await Sql.QueryAsync(conn, tx, $"""
            with due as (
                select m.id from conversations v join messages m on m.conversation_id = v.id
                 where v.business_id = @b and v.opened_at < @cutoff and v.last_message_at >= @since
                   and m.created_at < @cutoff and m.erased_at is null
                 limit @limit),
            erased as (
                update messages m set text = null, content = '{ErasedContent}'::jsonb, payload = null, notice = null,
                       erased_at = @now, updated_at = @now
                  from due where m.id = due.id returning m.id),
            files as (select mm.sha256 from message_media mm join due on due.id = mm.message_id where mm.sha256 is not null),
            media as (
                update message_media mm set status = 'erased', sha256 = null, filename = null, updated_at = @now
                  from due where mm.message_id = due.id returning mm.message_id),
            uploads as (
                delete from attachments a where a.business_id = @b and a.created_at < @cutoff returning a.sha256)
            select (select count(*) from erased)::int, (select count(*) from media)::int,
                   coalesce((select array_agg(distinct sha256)
                               from (select sha256 from files union select sha256 from uploads) f), array[]::text[])
            """, r => (r.GetInt32(0), r.GetFieldValue<string[]>(2)), ct, ("b", business), ("cutoff", cutoff),
            ("since", policy.Through ?? DateTimeOffset.MinValue), ("limit", limit), ("now", now))).Single();
        await Sql.ExecAsync(conn, tx, """
            update channel_events e set content = erase_personal(e.content)
              from channels c
             where c.id = e.channel_id and c.business_id = @b and e.occurred_at < @cutoff
               and e.occurred_at >= @since and e.content is not null
            """, ct, ("b", business), ("cutoff", cutoff), ("since", policy.Through ?? DateTimeOffset.MinValue));
        if (removed < limit)   // everything before the cutoff is done: the next run starts there
            await Sql.ExecAsync(conn, tx, "update businesses set retention_through = @cutoff where id = @b", ct,
                ("cutoff", cutoff), ("b", business));
        if (removed > 0)
            await AuditLog.WriteAsync(conn, tx, Actor.System(business), "messages.retention_applied", "business",
                business, null, new { Removed = removed, Before = cutoff, RetentionDays = days }, now, ct);
        return (removed, files);
    }
}
