using System.Text;
using System.Text.Json;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Queries;

/// <summary>Read side of conversations, messages and contacts for the REST API. Always scoped to one business.</summary>
public sealed class ConversationQueries(NpgsqlDataSource db, TimeProvider clock)
{
    private const string ConversationSelect = """
        select c.id, c.channel_id, c.contact_id, p.external_id, p.name, p.phone, c.status, c.assignee_id, c.labels,
               c.opened_at, c.resolved_at, c.last_inbound_at, c.last_message_at, c.window_closes_at,
               c.unread_count, c.message_count, c.created_at, c.updated_at, c.version, c.window_sends,
               c.team_id, c.priority, c.queued_at, c.required_tier, c.assigned_at, c.first_human_reply_at,
               c.lock_holder, lu.name, c.lock_until, c.handovers, p.vip, c.resolution
          from conversations c join contacts p on p.id = c.contact_id left join users lu on lu.id = c.lock_holder
        """;

    /// <summary>An agent (<paramref name="agent"/>) sees conversations assigned to them and those waiting in their teams' queues.</summary>
    // Agents see their own conversations and those of their teams (queued, or held by a teammate: read only, their lock shows).
    private const string AgentScope = " and (c.assignee_id = @agent or c.team_id in (select team_id from team_members where user_id = @agent))";

    /// <summary>An agent sees a contact (and its notes) through a conversation of it they may see.</summary>
    private const string ContactAgentScope = " and exists (select 1 from conversations c where (c.contact_id = contacts.id"
        + " or c.contact_id in (select m.id from contacts m where m.merged_into = contacts.id))" + AgentScope + ")";

    public async Task<Page<ConversationView>> ListAsync(Guid businessId, ConversationFilter f, bool ascending, CancellationToken ct, Guid? agent = null)
    {
        var sql = new StringBuilder(ConversationSelect).Append(" where c.business_id = @b");
        var ps = new List<(string, object?)> { ("b", businessId), ("limit", f.Limit + 1) };
        if (agent is not null) { sql.Append(AgentScope); ps.Add(("agent", agent)); }
        if (f.TeamId is not null) { sql.Append(" and c.team_id = @team"); ps.Add(("team", f.TeamId)); }
        if (f.Queued == true) sql.Append(" and c.status = 'open' and c.assignee_id is null and c.team_id is not null");
        // Waiting in the queue of a team whose hours (its own, or the business's) are closed now.
        if (f.WaitingForHours == true)
        {
            sql.Append(" and c.status = 'open' and c.assignee_id is null and c.team_id = any(@closed)");
            ps.Add(("closed", await ClosedTeamsAsync(businessId, ct)));
        }
        // The bot's: it answered and nobody else holds the conversation (ConversationRules.WithTheBot).
        if (f.WithBot == true)
            sql.Append(" and c.status = 'open' and c.team_id is null and c.assignee_id is null and c.first_human_reply_at is null"
                + " and c.bot_outcome is null and c.bot_replies > 0");
        if (f.Status is not null) { sql.Append(" and c.status = @status"); ps.Add(("status", f.Status)); }
        if (f.ChannelId is not null) { sql.Append(" and c.channel_id = @channel"); ps.Add(("channel", f.ChannelId)); }
        if (f.ContactId is not null) { sql.Append(" and c.contact_id = @contact"); ps.Add(("contact", f.ContactId)); }
        if (f.AssigneeId is not null) { sql.Append(" and c.assignee_id = @assignee"); ps.Add(("assignee", f.AssigneeId)); }
        if (f.Label is not null) { sql.Append(" and @label = any(c.labels)"); ps.Add(("label", f.Label)); }
        if (f.UpdatedSince is not null) { sql.Append(" and c.updated_at >= @since"); ps.Add(("since", f.UpdatedSince)); }
        if (Cursor.TryDecode(f.Cursor, out var after))
        {
            sql.Append(ascending ? " and (c.updated_at, c.id) > (@at, @id)" : " and (c.updated_at, c.id) < (@at, @id)");
            ps.Add(("at", after.At)); ps.Add(("id", after.Id));
        }
        sql.Append(ascending ? " order by c.updated_at, c.id" : " order by c.updated_at desc, c.id desc").Append(" limit @limit");
        await using var conn = await db.OpenConnectionAsync(ct);
        var now = clock.GetUtcNow();
        var rows = await Sql.QueryAsync(conn, null, sql.ToString(), r => ReadConversation(r, now), ct, ps.ToArray());
        return Paged(rows, f.Limit, c => Cursor.Encode(c.UpdatedAt, c.Id));
    }

    public async Task<ConversationView?> GetAsync(Guid businessId, Guid id, CancellationToken ct, Guid? agent = null)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var now = clock.GetUtcNow();
        return (await Sql.QueryAsync(conn, null, ConversationSelect + " where c.business_id = @b and c.id = @id" + (agent is null ? "" : AgentScope),
            r => ReadConversation(r, now), ct, ("b", businessId), ("id", id), ("agent", agent))).SingleOrDefault();
    }

    /// <summary>Messages oldest first; null when the conversation is not this business's.</summary>
    public async Task<Page<MessageView>?> MessagesAsync(Guid businessId, Guid conversationId, string? cursor, int limit, CancellationToken ct, Guid? agent = null)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var exists = await Sql.QueryAsync(conn, null, "select 1 from conversations c where c.id = @id and c.business_id = @b" + (agent is null ? "" : AgentScope),
            r => r.GetInt32(0), ct, ("id", conversationId), ("b", businessId), ("agent", agent));
        if (exists.Count == 0) return null;
        var sql = new StringBuilder(MessageSelect + " where conversation_id = @c");
        var ps = new List<(string, object?)> { ("c", conversationId), ("limit", limit + 1) };
        if (Cursor.TryDecode(cursor, out var after)) { sql.Append(" and (created_at, id) > (@at, @id)"); ps.Add(("at", after.At)); ps.Add(("id", after.Id)); }
        sql.Append(" order by created_at, id limit @limit");
        var rows = await Sql.QueryAsync(conn, null, sql.ToString(), ReadMessage, ct, ps.ToArray());
        return Paged(rows, limit, m => Cursor.Encode(m.CreatedAt, m.Id));
    }

    public async Task<MessageView?> MessageAsync(Guid businessId, Guid messageId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, MessageSelect + " where id = @id and business_id = @b", ReadMessage, ct,
            ("id", messageId), ("b", businessId))).SingleOrDefault();
    }

    /// <summary>The business's teams whose hours (their own, or the business's) are closed now.</summary>
    private async Task<Guid[]> ClosedTeamsAsync(Guid businessId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var teams = await Sql.QueryAsync(conn, null, "select id from teams where business_id = @b", r => r.GetGuid(0), ct,
            ("b", businessId));
        var now = clock.GetUtcNow();
        var closed = new List<Guid>();
        foreach (var team in teams)
            if (!(await Automation.AutomationStore.HoursForAsync(conn, null, businessId, team, ct)).IsOpen(now)) closed.Add(team);
        return [.. closed];
    }

    /// <summary>The stored attachment's name in the media store (its SHA-256), when it is stored.</summary>
    public async Task<string?> MediaObjectAsync(Guid messageId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null,
            "select sha256 from message_media where message_id = @m and status = 'stored'", r => r.NullableString(0), ct,
            ("m", messageId))).SingleOrDefault();
    }

    private const string MessageSelect = """
        select id, conversation_id, direction, provider_message_id, type, text, content::text, reply_to_provider_id,
               sent_at, status, status_at, error::text, created_at, updated_at,
               out_of_window, category, failure_code, failure_reason, warnings, accepted_at,
               (select jsonb_build_object('status', mm.status, 'contentType', mm.content_type, 'size', mm.size,
                                          'filename', mm.filename, 'reason', mm.reason)::text
                  from message_media mm where mm.message_id = messages.id)
          from messages
        """;

    private static MessageView ReadMessage(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.NullableString(3), r.GetString(4), r.NullableString(5),
        Parse(r.GetString(6)), r.NullableString(7), r.Time(8), r.NullableString(9), r.NullableTime(10),
        r.IsDBNull(11) ? null : Parse(r.GetString(11)), r.Time(12), r.Time(13),
        r.GetBoolean(14), r.NullableString(15), r.IsDBNull(16) ? null : r.GetInt32(16), r.NullableString(17),
        r.GetFieldValue<string[]>(18), r.NullableTime(19), r.IsDBNull(20) ? null : Media(r.GetGuid(0), r.GetString(20)));

    private static MessageMediaView Media(Guid message, string json)
    {
        var m = JsonDocument.Parse(json).RootElement;
        string? Text(string name) => m.GetProperty(name).ValueKind == JsonValueKind.String ? m.GetProperty(name).GetString() : null;
        return new MessageMediaView(Text("status")!, Text("contentType"),
            m.GetProperty("size").ValueKind == JsonValueKind.Number ? m.GetProperty("size").GetInt64() : null, Text("filename"),
            Text("reason"), $"/api/v1/messages/{message}/media");
    }

    public async Task<Page<ContactView>> ContactsAsync(Guid businessId, Guid? channelId, string? search, string? cursor, int limit, CancellationToken ct,
        string? phoneE164 = null, string? email = null, (string Key, string Value)? attribute = null, bool includeMerged = false, Guid? agent = null)
    {
        var sql = new StringBuilder("""
            select id, channel_id, external_id, name, phone, bsuid, first_seen_at, last_seen_at, created_at, updated_at,
                   vip, language, dedicated_agent_id, last_agent_id, last_served_at,
                   email, country, phone_e164, attributes::text, lifetime_spend, last_order::text, tags, merged_into,
                   coalesce(array(select m.id from contacts m where m.merged_into = contacts.id order by m.id), '{}')
              from contacts where business_id = @b and erased_at is null
            """);
        var ps = new List<(string, object?)> { ("b", businessId), ("limit", limit + 1) };
        if (channelId is not null) { sql.Append(" and channel_id = @channel"); ps.Add(("channel", channelId)); }
        if (agent is not null) { sql.Append(ContactAgentScope); ps.Add(("agent", agent)); }
        if (!includeMerged) sql.Append(" and merged_into is null");
        if (phoneE164 is not null) { sql.Append(" and phone_e164 = @e164"); ps.Add(("e164", phoneE164)); }
        if (email is not null) { sql.Append(" and lower(email) = lower(@email)"); ps.Add(("email", email)); }
        if (attribute is { } a) { sql.Append(" and attributes->>@ak = @av"); ps.Add(("ak", a.Key)); ps.Add(("av", a.Value)); }
        if (!string.IsNullOrWhiteSpace(search))
        {
            sql.Append(" and (name ilike @q or phone like @q or external_id like @q or email ilike @q)");
            ps.Add(("q", "%" + search.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%"));
        }
        if (Cursor.TryDecode(cursor, out var after)) { sql.Append(" and (created_at, id) > (@at, @id)"); ps.Add(("at", after.At)); ps.Add(("id", after.Id)); }
        sql.Append(" order by created_at, id limit @limit");
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await Sql.QueryAsync(conn, null, sql.ToString(), ReadContact, ct, ps.ToArray());
        return Paged(rows, limit, c => Cursor.Encode(c.CreatedAt, c.Id));
    }

    /// <summary>One customer's conversations on every channel: the contact's own and those of the identities merged into it.</summary>
    public async Task<IReadOnlyList<ConversationView>> HistoryAsync(Guid businessId, Guid contactId, CancellationToken ct, Guid? agent = null)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var now = clock.GetUtcNow();
        return await Sql.QueryAsync(conn, null, ConversationSelect + """
             where c.business_id = @b and (c.contact_id = @id or c.contact_id in (select id from contacts where merged_into = @id))
            """ + (agent is null ? "" : AgentScope) + " order by c.opened_at desc, c.id desc",
            r => ReadConversation(r, now), ct, ("b", businessId), ("id", contactId), ("agent", agent));
    }

    /// <summary>A contact; for an agent (<paramref name="agent"/>) only one with a conversation the agent may
    /// see.</summary>
    public async Task<ContactView?> ContactAsync(Guid businessId, Guid id, CancellationToken ct, Guid? agent = null)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, """
            select id, channel_id, external_id, name, phone, bsuid, first_seen_at, last_seen_at, created_at, updated_at,
                   vip, language, dedicated_agent_id, last_agent_id, last_served_at,
                   email, country, phone_e164, attributes::text, lifetime_spend, last_order::text, tags, merged_into,
                   coalesce(array(select m.id from contacts m where m.merged_into = contacts.id order by m.id), '{}')
              from contacts where business_id = @b and id = @id
            """ + (agent is null ? "" : ContactAgentScope), ReadContact, ct, ("b", businessId), ("id", id), ("agent", agent))).SingleOrDefault();
    }

    private static Page<T> Paged<T>(List<T> rows, int limit, Func<T, string> cursorOf) =>
        rows.Count > limit ? new Page<T>(rows.Take(limit).ToList(), cursorOf(rows[limit - 1])) : new Page<T>(rows, null);

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static ContactView ReadContact(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.NullableString(3), r.NullableString(4), r.NullableString(5),
        r.Time(6), r.Time(7), r.Time(8), r.Time(9), r.GetBoolean(10), r.NullableString(11), r.NullableGuid(12), r.NullableGuid(13), r.NullableTime(14),
        r.NullableString(15), r.NullableString(16), r.NullableString(17), Parse(r.GetString(18)), r.GetDecimal(19),
        r.IsDBNull(20) ? null : Parse(r.GetString(20)), r.GetFieldValue<string[]>(21), r.NullableGuid(22), r.GetFieldValue<Guid[]>(23));

    private static ConversationView ReadConversation(NpgsqlDataReader r, DateTimeOffset now)
    {
        var windowCloses = r.NullableTime(13);
        return new ConversationView(
            r.GetGuid(0), r.GetGuid(1), new ContactRef(r.GetGuid(2), r.GetString(3), r.NullableString(4), r.NullableString(5)),
            r.GetString(6), r.NullableGuid(7), r.GetFieldValue<string[]>(8),
            r.Time(9), r.NullableTime(10), r.NullableTime(11), r.NullableTime(12), windowCloses,
            windowCloses is { } w && now < w, r.GetInt32(19), r.GetInt32(14), r.GetInt32(15), r.Time(16), r.Time(17), r.GetInt64(18),
            r.NullableGuid(20), r.GetInt32(21), r.NullableTime(22), r.NullableString(23), r.NullableTime(24), r.NullableTime(25),
            r.NullableTime(28) is { } until && until > now && r.NullableGuid(26) is { } holder ? new LockView(holder, r.NullableString(27), until) : null,
            r.GetInt32(29), r.GetBoolean(30), r.NullableString(31));
    }
}
