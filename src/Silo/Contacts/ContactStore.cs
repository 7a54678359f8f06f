using System.Globalization;
using System.Text.Json;
using Engine.Grains.Contacts;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Customers;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Engine.Silo.Queries;
using Engine.Silo.Runtime;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Contacts;

public sealed record ContactChange(
    string? Name = null, string? Language = null, bool? Vip = null, Guid? DedicatedAgentId = null, bool ClearDedicatedAgent = false,
    string? Email = null, string? Phone = null, string? Country = null, IReadOnlyDictionary<string, JsonElement>? Attributes = null,
    IReadOnlyList<string>? Tags = null, decimal? LifetimeSpend = null, JsonElement? LastOrder = null);

public sealed record AttributeDefinition(string Key, string Type, string Label, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
public sealed record ContactNote(Guid Id, Guid ContactId, string Author, string Text, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// Customers: profile, declared custom attributes, notes, spend and orders, and merging the contacts of
/// one person across channels (one transaction, both histories kept, audited). Every change is recorded
/// as a contact event, which webhook subscribers receive.
/// </summary>
public sealed class ContactStore(NpgsqlDataSource db, TimeProvider clock, ConversationQueries queries)
{
    private const string ProfileColumns = "name, email, phone, language, country, vip, attributes::text, tags, lifetime_spend, last_order::text, dedicated_agent_id, last_agent_id, last_served_at";

    public async Task<ContactView?> UpdateAsync(Actor actor, Guid id, ContactChange c, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (!await UpdateAsync(conn, tx, actor, id, c, ct)) return null;
        await tx.CommitAsync(ct);
        return await queries.ContactAsync(actor.BusinessId, id, ct);
    }

    internal async Task<bool> UpdateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Actor actor, Guid id, ContactChange c, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var before = await ProfileAsync(conn, tx, actor.BusinessId, id, ct);
        if (before is null) return false;
        var attributes = new Dictionary<string, object?>(before.Attributes);
        if (c.Attributes is not null)
        {
            var declared = await AttributesAsync(conn, tx, actor.BusinessId, ct);
            foreach (var (key, value) in c.Attributes)
            {
                if (!declared.TryGetValue(key, out var def)) throw new RefusedException("invalid_attribute", $"Attribute '{key}' is not declared; declare it first (POST /api/v1/contact-attributes).");
                if (value.ValueKind == JsonValueKind.Null) attributes.Remove(key);
                else attributes[key] = Coerce(key, def.Type, value);
            }
        }
        var e164 = c.Phone is null ? null : PhoneNumbers.ToE164(c.Phone) ?? throw new RefusedException("invalid_phone", $"'{c.Phone}' is not a phone number in international form (+country…).");
        await using (var cmd = Sql.Command(conn, tx, """
            update contacts set name = coalesce(@n, name), language = coalesce(@l, language), vip = coalesce(@v, vip),
                   language_source = case when @l is not null then 'person' else language_source end,
                   dedicated_agent_id = case when @clear then null else coalesce(@d, dedicated_agent_id) end,
                   email = coalesce(@email, email), phone = coalesce(@phone, phone), phone_e164 = coalesce(@e164, phone_e164),
                   country = coalesce(@country, country), attributes = @attrs, tags = coalesce(@tags, tags),
                   lifetime_spend = coalesce(@spend, lifetime_spend), last_order = coalesce(@order, last_order),
                   updated_at = @now, version = version + 1
             where id = @id
            """, ("n", c.Name), ("l", c.Language), ("v", c.Vip), ("d", c.DedicatedAgentId), ("clear", c.ClearDedicatedAgent), ("email", c.Email),
            ("phone", e164 is null ? null : c.Phone), ("e164", e164), ("country", c.Country?.ToUpperInvariant()), ("tags", c.Tags?.Distinct().ToArray()),
            ("spend", c.LifetimeSpend), ("now", now), ("id", id)))
        {
            cmd.Parameters.Add(new NpgsqlParameter("attrs", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(attributes) });
            cmd.Parameters.Add(new NpgsqlParameter("order", NpgsqlDbType.Jsonb) { Value = c.LastOrder is { } o ? o.GetRawText() : DBNull.Value });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        // A VIP's waiting conversations move to the front of their queue: their grains re-prioritise them.
        if (c.Vip is { } vip)
            await Sql.ExecAsync(conn, tx, Conversations.FollowUps.PrioritiseOpenConversationsSql,
                ct, ("p", vip ? 1 : 0), ("now", now), ("id", id));
        var after = (await ProfileAsync(conn, tx, actor.BusinessId, id, ct))!;
        await RecordAsync(conn, tx, actor, id, ContactEvents.Changed, before, after, e164 is not null ? [ContactEvents.Match(id)] : [], now, ct);
        return true;
    }

    /// <summary>
    /// Merges <paramref name="sourceId"/> into <paramref name="targetId"/>: the target's values win where both are set unless
    /// the field is in <paramref name="preferSource"/>; both histories stay (conversations keep their channel identity).
    /// </summary>
    public async Task<ContactView?> MergeAsync(Actor actor, Guid targetId, Guid sourceId, IReadOnlySet<string> preferSource, CancellationToken ct)
    {
        if (targetId == sourceId) throw new RefusedException("invalid_merge", "A contact cannot be merged into itself.");
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Sql.ExecAsync(conn, tx, "select 1 from contacts where id = any(@ids) order by id for update", ct, ("ids", new[] { targetId, sourceId }));
        var states = await Sql.QueryAsync(conn, tx, "select id, merged_into from contacts where id = any(@ids) and business_id = @b",
            r => (Id: r.GetGuid(0), MergedInto: r.NullableGuid(1)), ct, ("ids", new[] { targetId, sourceId }), ("b", actor.BusinessId));
        if (states.Count != 2) return null;
        if (states.Any(s => s.MergedInto is not null)) throw new RefusedException("already_merged", "One of the contacts was already merged into another; merge into that one.");
        var target = (await ProfileAsync(conn, tx, actor.BusinessId, targetId, ct))!;
        var source = (await ProfileAsync(conn, tx, actor.BusinessId, sourceId, ct))!;
        var merged = ContactMerge.Merge(target, source, preferSource);
        await using (var cmd = Sql.Command(conn, tx, """
            update contacts set name = @n, email = @email, phone = @phone, phone_e164 = coalesce(@e164, phone_e164), language = @l, country = @country,
                   vip = @vip, attributes = @attrs, tags = @tags, lifetime_spend = @spend, last_order = @order,
                   dedicated_agent_id = @dedicated, last_agent_id = @last, last_served_at = @served, updated_at = @now, version = version + 1
             where id = @id
            """, ("n", merged.Name), ("email", merged.Email), ("phone", merged.Phone), ("e164", PhoneNumbers.ToE164(merged.Phone)), ("l", merged.Language),
            ("country", merged.Country), ("vip", merged.Vip), ("tags", merged.Tags.ToArray()), ("spend", merged.LifetimeSpend),
            ("dedicated", merged.DedicatedAgentId), ("last", merged.LastAgentId), ("served", merged.LastServedAt), ("now", now), ("id", targetId)))
        {
            cmd.Parameters.Add(new NpgsqlParameter("attrs", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(merged.Attributes) });
            cmd.Parameters.Add(new NpgsqlParameter("order", NpgsqlDbType.Jsonb) { Value = (object?)merged.LastOrderJson ?? DBNull.Value });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await Sql.ExecAsync(conn, tx, "update contacts set merged_into = @t, merged_at = @now, updated_at = @now, version = version + 1 where id = @s or merged_into = @s",
            ct, ("t", targetId), ("s", sourceId), ("now", now));
        await Sql.ExecAsync(conn, tx, "update contact_notes set contact_id = @t, updated_at = @now where contact_id = @s", ct, ("t", targetId), ("s", sourceId), ("now", now));
        // The merged identities' open conversations take the customer's priority (VIP first), through their grains.
        await Sql.ExecAsync(conn, tx, Conversations.FollowUps.PrioritiseOpenConversationsSql, ct,
            ("p", merged.Vip ? 1 : 0), ("now", now), ("id", targetId));
        await RecordAsync(conn, tx, actor, targetId, ContactEvents.Merged, new { target, source }, new { merged, SourceId = sourceId }, [], now, ct);
        await tx.CommitAsync(ct);
        return await queries.ContactAsync(actor.BusinessId, targetId, ct);
    }

    /// <summary>The matching rule: with auto-merge on, contacts sharing a verified phone (E.164) become one customer (the older keeps).</summary>
    /// <summary>The customer the business's matching rule joins this new identity to (the oldest other customer with
    /// the same verified phone), or null when the rule is off or none matches.</summary>
    public async Task<(Guid Business, Guid Customer)?> MatchAsync(Guid contactId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var row = (await Sql.QueryAsync(conn, null, """
            select c.business_id, b.auto_merge_verified_phone, (
                select o.id from contacts o
                 where o.business_id = c.business_id and o.phone_e164 = c.phone_e164 and o.id <> c.id and o.merged_into is null
                 order by o.created_at, o.id limit 1)
              from contacts c join businesses b on b.id = c.business_id
             where c.id = @id and c.merged_into is null and c.phone_e164 is not null
            """, r => (Business: r.GetGuid(0), On: r.GetBoolean(1), Other: r.NullableGuid(2)), ct, ("id", contactId)))
            .SingleOrDefault();
        return row.On && row.Other is { } other ? (row.Business, other) : null;
    }

    public async Task<AttributeDefinition> DefineAttributeAsync(Actor actor, string key, string type, string label, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Sql.ExecAsync(conn, tx, """
            insert into contact_attributes (business_id, key, type, label, created_at, updated_at) values (@b, @k, @t, @l, @now, @now)
            on conflict (business_id, key) do update set label = excluded.label, updated_at = excluded.updated_at
            """, ct, ("b", actor.BusinessId), ("k", key), ("t", type), ("l", label), ("now", now));
        var defined = (await AttributesAsync(conn, tx, actor.BusinessId, ct))[key];
        if (defined.Type != type) throw new RefusedException("attribute_type_fixed", $"'{key}' is declared as {defined.Type}; a type cannot change.");
        await AuditLog.WriteAsync(conn, tx, actor, "contact_attribute.declared", "contact_attribute", key, null, defined, now, ct);
        await tx.CommitAsync(ct);
        return defined;
    }

    public async Task<IReadOnlyList<AttributeDefinition>> ListAttributesAsync(Guid business, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await AttributesAsync(conn, null, business, ct)).Values.OrderBy(a => a.Key).ToList();
    }

    /// <summary>The agent who served the customer last becomes their sticky owner (for 72 hours from then), kept on the
    /// customer a merged identity belongs to; an older report (a follow-up carried out late) changes nothing.</summary>
    public async Task<bool> ServedAsync(Actor actor, Guid contactId, Guid agent, DateTimeOffset at, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await Sql.ExecAsync(conn, null, """
            update contacts set last_agent_id = @a, last_served_at = @at
             where id = (select coalesce(merged_into, id) from contacts where id = @c) and business_id = @b
               and (last_served_at is null or last_served_at <= @at)
            """, ct, ("a", agent), ("at", at), ("c", contactId), ("b", actor.BusinessId));
        return true;
    }

    /// <summary>Whether the agent works one of the customer's open conversations (any merged identity): assigned to
    /// them or waiting in one of their teams' queues.</summary>
    public async Task<bool> WorkedByAsync(Guid business, Guid contactId, Guid agent, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, """
            select exists (
                select 1 from conversations v
                 where v.business_id = @b and v.status = 'open'
                   and v.contact_id in (select id from contacts
                                         where coalesce(merged_into, id) = (select coalesce(merged_into, id) from contacts where id = @c))
                   and (v.assignee_id = @a or v.team_id in (select team_id from team_members where user_id = @a)))
            """, r => r.GetBoolean(0), ct, ("b", business), ("c", contactId), ("a", agent))).Single();
    }

    public async Task<ContactNote?> AddNoteAsync(Actor actor, Guid contactId, string text, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var note = new ContactNote(Guid.CreateVersion7(), contactId, actor.Name ?? actor.Id, text, now, now);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var added = await Sql.ExecAsync(conn, tx, """
            insert into contact_notes (id, contact_id, author, text, created_at, updated_at)
            select @id, id, @a, @t, @now, @now from contacts where id = @c and business_id = @b
            """, ct, ("id", note.Id), ("c", contactId), ("b", actor.BusinessId), ("a", note.Author), ("t", text), ("now", now));
        if (added == 0) return null;
        await AuditLog.WriteAsync(conn, tx, actor, "contact.note_added", "contact", contactId, null, note, now, ct);
        await tx.CommitAsync(ct);
        return note;
    }

    public async Task<IReadOnlyList<ContactNote>> NotesAsync(Guid business, Guid contactId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, """
            select n.id, n.contact_id, n.author, n.text, n.created_at, n.updated_at from contact_notes n join contacts c on c.id = n.contact_id
             where n.contact_id = @c and c.business_id = @b order by n.created_at, n.id
            """, r => new ContactNote(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.Time(4), r.Time(5)), ct, ("c", contactId), ("b", business));
    }

    internal static async Task RecordAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Actor actor, Guid contactId, string type, object? before, object after,
        IReadOnlyList<OutboxIntent> outbox, DateTimeOffset now, CancellationToken ct)
    {
        var effects = new Effects();
        effects.Add(ContactEvents.EntityType, contactId, actor.BusinessId, new Decision<int>(0, [new DomainEvent(type, now, after)], [], outbox), now);
        var batch = new NpgsqlBatch(conn, tx);
        effects.AppendTo(batch, now);
        batch.BatchCommands.Add(AuditLog.Entry(actor, type, "contact", contactId, before, after, now));
        await batch.ExecuteNonQueryAsync(ct);
    }

    internal static async Task<ContactProfile?> ProfileAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid business, Guid id, CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx, $"select {ProfileColumns} from contacts where id = @id and business_id = @b", r =>
        {
            var lastOrder = r.NullableString(9);
            return new ContactProfile(r.NullableString(0), r.NullableString(1), r.NullableString(2), r.NullableString(3), r.NullableString(4), r.GetBoolean(5),
                JsonSerializer.Deserialize<Dictionary<string, object?>>(r.GetString(6))!, r.GetFieldValue<string[]>(7), r.GetDecimal(8),
                lastOrder is null ? null : OrderTime(lastOrder), lastOrder, r.NullableGuid(10), r.NullableGuid(11), r.NullableTime(12));
        }, ct, ("id", id), ("b", business))).SingleOrDefault();

    private static DateTimeOffset? OrderTime(string json) =>
        JsonDocument.Parse(json).RootElement.TryGetProperty("at", out var at) && at.TryGetDateTimeOffset(out var t) ? t : null;

    private static async Task<Dictionary<string, AttributeDefinition>> AttributesAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid business, CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx, "select key, type, label, created_at, updated_at from contact_attributes where business_id = @b",
            r => new AttributeDefinition(r.GetString(0), r.GetString(1), r.GetString(2), r.Time(3), r.Time(4)), ct, ("b", business))).ToDictionary(a => a.Key);

    /// <summary>A value of the attribute's declared type, or a refusal naming what was expected.</summary>
    private static object Coerce(string key, string type, JsonElement v) => type switch
    {
        "text" when v.ValueKind == JsonValueKind.String => v.GetString()!,
        "number" when v.ValueKind == JsonValueKind.Number => v.GetDecimal(),
        "boolean" when v.ValueKind is JsonValueKind.True or JsonValueKind.False => v.GetBoolean(),
        "date" when v.ValueKind == JsonValueKind.String && DateOnly.TryParseExact(v.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) => d.ToString("yyyy-MM-dd"),
        _ => throw new RefusedException("invalid_attribute", $"Attribute '{key}' is declared as {type}; got {v.ValueKind.ToString().ToLowerInvariant()} {v.GetRawText()}."),
    };
}

/// <summary>Applies the contact matching rule for contacts that were just created or got a phone number.</summary>
public sealed class ContactMatchHandler(ContactStore contacts, IGrainFactory grains) : IOutboxHandler
{
    public string Topic => ContactEvents.MatchTopic;

    /// <summary>The matching rule's merge is made by the grain of the customer it joins, like a person's merge (so that
    /// grain reads the merged customer's automated-message cap again); a refusal (merged meanwhile) leaves both.</summary>
    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        var identity = item.Payload.GetProperty("contactId").GetGuid();
        if (await contacts.MatchAsync(identity, ct) is not { } match) return new OutboxResult.Done();
        var actor = Actor.System(match.Business) with { Name = "matching rule: verified phone" };
        await grains.GetGrain<ICustomerGrain>(GrainKeys.Customer(match.Customer)).Change(
            new ProfileChange(ProfileChangeKind.Merge, actor.ToCommand(), MergeFrom: identity, PreferSource: []));
        return new OutboxResult.Done();
    }
}
