using System.Text.Json;
using Engine.Grains.QuickReplies;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Automation;

public sealed record QuickReply(Guid Id, string Shortcut, string Name, IReadOnlyList<QuickReplyVersion> Versions, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
public sealed record TemplateUsage(Guid TemplateId, string Shortcut, int Uses, decimal Share, bool Flagged);
public sealed record AgentTemplateUsage(string AgentId, string? Name, int Replies, int WithTemplate, decimal Share, bool Flagged);
/// <summary>What deleting a quick reply removed: the template; its <see cref="Uses"/> stay counted for the agents.</summary>
public sealed record QuickReplyDeleted(Guid Id, string Shortcut, int Uses);
public sealed record QuickReplyUsageReport(DateTimeOffset From, DateTimeOffset To, int AgentReplies, IReadOnlyList<TemplateUsage> Templates, IReadOnlyList<AgentTemplateUsage> Agents);

/// <summary>Quick-reply templates, rendering for a conversation, and usage per template and per agent.</summary>
public sealed class QuickReplies(NpgsqlDataSource db, Reports.Rollups rollups, TimeProvider clock)
{
    private const string Columns = "id, shortcut, name, versions::text, created_at, updated_at";

    public async Task<QuickReply> SaveAsync(Actor actor, Guid? id, string shortcut, string name, IReadOnlyList<QuickReplyVersion> versions, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var reply = new QuickReply(id ?? Guid.CreateVersion7(), shortcut, name, versions, now, now);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var cmd = Sql.Command(conn, tx, id is null ? """
            insert into quick_replies (id, business_id, shortcut, name, versions, created_at, updated_at) values (@id, @b, @s, @n, @v, @now, @now)
            """ : """
            update quick_replies set shortcut = @s, name = @n, versions = @v, updated_at = @now, version = version + 1 where id = @id and business_id = @b
            """, ("id", reply.Id), ("b", actor.BusinessId), ("s", shortcut), ("n", name), ("now", now)))
        {
            cmd.Parameters.Add(new NpgsqlParameter("v", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(versions, Effects.Json) });
            var written = await Sql.UniqueAsync(cmd.ExecuteNonQueryAsync(ct), "shortcut_taken",
                $"{shortcut} is already a quick reply.");
            if (written == 0)
                throw new Engine.Grains.Interfaces.Runtime.RefusedException("not_found", $"No quick reply {id}.");
        }
        await AuditLog.WriteAsync(conn, tx, actor, id is null ? "quick_reply.created" : "quick_reply.updated", "quick_reply", reply.Id, null, reply, now, ct);
        await tx.CommitAsync(ct);
        return reply;
    }

    /// <summary>Deletes a quick reply; its past uses stay counted in each agent's share. Null when there is no such one.</summary>
    public async Task<QuickReplyDeleted?> DeleteAsync(Actor actor, Guid id, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var reply = (await Sql.QueryAsync(conn, tx, $"select {Columns} from quick_replies where business_id = @b and id = @id for update",
            Read, ct, ("b", actor.BusinessId), ("id", id))).SingleOrDefault();
        if (reply is null) return null;
        var uses = (await Sql.QueryAsync(conn, tx, "select count(*)::int from quick_reply_uses where template_id = @id",
            r => r.GetInt32(0), ct, ("id", id))).Single();
        await Sql.ExecAsync(conn, tx, "delete from quick_replies where id = @id", ct, ("id", id));
        var deleted = new QuickReplyDeleted(id, reply.Shortcut, uses);
        await AuditLog.WriteAsync(conn, tx, actor, "quick_reply.deleted", "quick_reply", id, reply, deleted, now, ct);
        await tx.CommitAsync(ct);
        return deleted;
    }

    public async Task<IReadOnlyList<QuickReply>> ListAsync(Guid business, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, $"select {Columns} from quick_replies where business_id = @b order by shortcut", Read, ct, ("b", business));
    }

    public async Task<QuickReply?> GetAsync(Guid business, Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, $"select {Columns} from quick_replies where business_id = @b and id = @id", Read, ct, ("b", business), ("id", id))).SingleOrDefault();
    }

    /// <summary>The template's text for this conversation: the scenario's version in the contact's language, variables filled.</summary>
    public async Task<string?> RenderAsync(Guid business, Guid templateId, Guid conversationId, string scenario, IReadOnlyDictionary<string, string?> variables,
        Guid? agent, CancellationToken ct)
    {
        var template = await GetAsync(business, templateId, ct);
        if (template is null) return null;
        await using var conn = await db.OpenConnectionAsync(ct);
        var row = (await Sql.QueryAsync(conn, null, """
            select p.name, p.phone_e164, p.email, p.language, b.time_zone, (select u.name from users u where u.id = @agent)
              from conversations c join contacts p on p.id = c.contact_id join businesses b on b.id = c.business_id where c.id = @c and c.business_id = @b
            """, r => (Name: r.NullableString(0), Phone: r.NullableString(1), Email: r.NullableString(2), Language: r.NullableString(3), Tz: r.GetString(4), Agent: r.NullableString(5)),
            ct, ("c", conversationId), ("b", business), ("agent", agent))).SingleOrDefault();
        if (row.Tz is null) return null;
        var version = QuickReplyRules.Pick(template.Versions, scenario, row.Language);
        if (version is null) return null;
        var values = new Dictionary<string, string?>
        {
            ["name"] = row.Name, ["phone"] = row.Phone, ["email"] = row.Email, ["agent_name"] = row.Agent,
            ["date"] = TimeZoneInfo.ConvertTime(clock.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById(row.Tz)).ToString("yyyy-MM-dd"),
        };
        foreach (var (k, v) in variables) values[k] = v;
        return QuickReplyRules.Render(version, values);
    }

    public async Task RecordUseAsync(Guid business, Guid template, Guid message, string agent, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await Sql.ExecAsync(conn, null, "insert into quick_reply_uses (message_id, business_id, template_id, agent_id, used_at) values (@m, @b, @t, @a, @now) on conflict do nothing",
            ct, ("m", message), ("b", business), ("t", template), ("a", agent), ("now", clock.GetUtcNow()));
    }

    /// <summary>Uses per template over the period's agent replies (under 5% flagged) and each agent's share of replies sent from a template (under 60% flagged).</summary>
    public async Task<QuickReplyUsageReport> UsageAsync(Guid business, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        var (start, end) = Reports.ReportPeriod.Resolve(from, to, clock.GetUtcNow(), 30);
        await using var conn = await db.OpenConnectionAsync(ct);
        List<(string Id, string? Name, int Replies, int WithTemplate)> agents;
        if (await rollups.UseForAsync(business, new Reports.ReportFilter(start, end), ct))
        {
            // Large periods: messages sent per person from the rollups, template uses from their own table.
            var sent = await rollups.SentByAgentAsync(business, start, end, ct);
            var used = (await Sql.QueryAsync(conn, null, """
                select agent_id, count(*)::int from quick_reply_uses where business_id = @b and used_at >= @f and used_at < @t group by agent_id
                """, r => (Id: r.GetString(0), N: r.GetInt32(1)), ct, ("b", business), ("f", start), ("t", end))).ToDictionary(x => x.Id, x => x.N);
            var names = (await Sql.QueryAsync(conn, null, "select id::text, name from users where business_id = @b", r => (Id: r.GetString(0), Name: r.GetString(1)), ct, ("b", business)))
                .ToDictionary(x => x.Id, x => x.Name);
            agents = sent.Where(s => names.ContainsKey(s.Key)).Select(s => (s.Key, (string?)names[s.Key], (int)s.Value, used.GetValueOrDefault(s.Key)))
                .OrderBy(a => a.Item2).ToList();
        }
        else
            agents = await Sql.QueryAsync(conn, null, """
                select m.author_id, u.name, count(*)::int, count(q.message_id)::int
                  from messages m join users u on u.id::text = m.author_id left join quick_reply_uses q on q.message_id = m.id
                 where m.business_id = @b and m.direction = 'out' and m.created_at >= @f and m.created_at < @t
                 group by m.author_id, u.name order by u.name
                """, r => (r.GetString(0), r.NullableString(1), r.GetInt32(2), r.GetInt32(3)), ct, ("b", business), ("f", start), ("t", end));
        var total = agents.Sum(a => a.Replies);
        var templates = await Sql.QueryAsync(conn, null, """
            select t.id, t.shortcut, count(q.message_id)::int from quick_replies t
              left join quick_reply_uses q on q.template_id = t.id and q.used_at >= @f and q.used_at < @t
             where t.business_id = @b group by t.id, t.shortcut order by t.shortcut
            """, r => (Id: r.GetGuid(0), Shortcut: r.GetString(1), Uses: r.GetInt32(2)), ct, ("b", business), ("f", start), ("t", end));
        decimal Share(int part, int whole) => Reports.ReportPeriod.Ratio(part, whole) ?? 0;
        return new QuickReplyUsageReport(start, end, total,
            templates.Select(t => new TemplateUsage(t.Id, t.Shortcut, t.Uses, Share(t.Uses, total), Share(t.Uses, total) < QuickReplyRules.FlagTemplateBelow)).ToList(),
            agents.Select(a => new AgentTemplateUsage(a.Id, a.Name, a.Replies, a.WithTemplate, Share(a.WithTemplate, a.Replies), Share(a.WithTemplate, a.Replies) < QuickReplyRules.FlagAgentBelow)).ToList());
    }

    private static QuickReply Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetString(2),
        JsonSerializer.Deserialize<List<QuickReplyVersion>>(r.GetString(3), Effects.Json)!, r.Time(4), r.Time(5));
}
