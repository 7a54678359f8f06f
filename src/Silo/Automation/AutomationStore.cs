using System.Text.Json;
using Engine.Grains.Automation;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Automation;

/// <summary>A routing rule; <see cref="PatternTimeouts"/> counts the messages on which its pattern ran out of time
/// (flagged).</summary>
public sealed record RoutingRule(Guid Id, Guid TeamId, IReadOnlyList<string> Keywords, string? Pattern, int Priority, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    IReadOnlyList<string>? Labels = null, int PatternTimeouts = 0, DateTimeOffset? PatternTimedOutAt = null)
{
    public bool Flagged => PatternTimeouts > 0;

    /// <summary>A keyword or the pattern in the text, or one of the rule's labels among those the message earned.</summary>
    public bool Matches(string text, IReadOnlyCollection<string>? labels = null, RuleTimeouts? timeouts = null) =>
        (text.Length > 0 && (Keywords.Any(k => KeywordMatcher.Matches(text, k)) || PatternMatches(text, timeouts)))
        || (labels is not null && (Labels ?? []).Any(labels.Contains));

    private bool PatternMatches(string text, RuleTimeouts? timeouts)
    {
        if (Pattern is null) return false;
        var outcome = RulePattern.Test(Pattern, text);
        if (outcome == RulePattern.Outcome.TimedOut) timeouts?.Routed(Id);
        return outcome == RulePattern.Outcome.Match;
    }
}

/// <summary>What automation needs for one business, read fresh from the database for every message (so a change made on one node is used by all at once).</summary>
public sealed record AutomationSet(IReadOnlyList<AutoReplyRule> Rules, IReadOnlyList<RoutingRule> Routing, BusinessHours Hours, Guid? DefaultTeam,
    IReadOnlyList<LabelRule> LabelRules, IReadOnlyList<BotFlow> Flows)
{
    /// <summary>How long a customer may stay quiet after the bot's answer before the bot resolves the conversation.</summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Patterns that ran out of time while this set was in use (one ingest group), flagged in its
    /// commit.</summary>
    public RuleTimeouts Timeouts { get; } = new();
}

/// <summary>Auto-reply rules, keyword routing rules and business hours.</summary>
public sealed class AutomationStore(NpgsqlDataSource db, TimeProvider clock)
{
    private const string RuleColumns = "id, name, trigger, keywords, language, active_from, active_to, variants, buttons::text, priority, enabled, updated_at";

    public async Task<AutoReplyRule> SaveRuleAsync(Actor actor, AutoReplyRule rule, bool creating, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = creating ? null : await GetRuleAsync(conn, tx, actor.BusinessId, rule.Id, ct);
        await using (var cmd = Sql.Command(conn, tx, creating ? """
            insert into auto_reply_rules (id, business_id, name, trigger, keywords, language, active_from, active_to, variants, buttons, priority, enabled, created_at, updated_at)
            values (@id, @b, @n, @t, @k, @l, @f, @to, @v, @btn, @p, @e, @now, @now)
            """ : """
            update auto_reply_rules set name = @n, trigger = @t, keywords = @k, language = @l, active_from = @f, active_to = @to, variants = @v,
                   buttons = @btn, priority = @p, enabled = @e, updated_at = @now, version = version + 1
             where id = @id and business_id = @b
            """, ("id", rule.Id), ("b", actor.BusinessId), ("n", rule.Name), ("t", rule.Trigger), ("k", rule.Keywords.ToArray()), ("l", rule.Language),
            ("f", rule.ActiveFrom), ("to", rule.ActiveTo), ("v", rule.Variants.ToArray()), ("p", rule.Priority), ("e", rule.Enabled), ("now", now)))
        {
            cmd.Parameters.Add(new NpgsqlParameter("btn", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(rule.Buttons, Effects.Json) });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await AuditLog.WriteAsync(conn, tx, actor, creating ? "auto_reply.created" : "auto_reply.updated", "auto_reply", rule.Id, before, rule, now, ct);
        await tx.CommitAsync(ct);
        return rule;
    }

    /// <summary>Deletes an auto-reply; returns the rule removed, or null when there is no such one.</summary>
    public async Task<AutoReplyRule?> DeleteRuleAsync(Actor actor, Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = await GetRuleAsync(conn, tx, actor.BusinessId, id, ct);
        if (before is null) return null;
        await Sql.ExecAsync(conn, tx, "delete from auto_reply_rules where id = @id", ct, ("id", id));
        await AuditLog.WriteAsync(conn, tx, actor, "auto_reply.deleted", "auto_reply", id, before, null, clock.GetUtcNow(), ct);
        await tx.CommitAsync(ct);
        return before;
    }

    public async Task<AutoReplyRule?> GetRuleAsync(Guid business, Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await GetRuleAsync(conn, null, business, id, ct);
    }

    public async Task<IReadOnlyList<AutoReplyRule>> ListRulesAsync(Guid business, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await LoadAsync(conn, null, [business], ct))[business].Rules;
    }

    private static async Task<AutoReplyRule?> GetRuleAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid business, Guid id, CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx, $"select {RuleColumns} from auto_reply_rules where business_id = @b and id = @id", ReadRule, ct, ("b", business), ("id", id))).SingleOrDefault();

    public async Task<RoutingRule> AddRoutingAsync(Actor actor, Guid team, IReadOnlyList<string> keywords, string? pattern, int priority, CancellationToken ct,
        IReadOnlyList<string>? labels = null)
    {
        var now = clock.GetUtcNow();
        var rule = new RoutingRule(Guid.CreateVersion7(), team, keywords, pattern, priority, now, now, labels ?? []);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Sql.ExecAsync(conn, tx, """
            insert into routing_rules (id, business_id, team_id, keywords, pattern, labels, priority, created_at, updated_at) values (@id, @b, @t, @k, @p, @l, @pr, @now, @now)
            """, ct, ("id", rule.Id), ("b", actor.BusinessId), ("t", team), ("k", keywords.ToArray()), ("p", pattern), ("l", (labels ?? []).ToArray()), ("pr", priority), ("now", now));
        await AuditLog.WriteAsync(conn, tx, actor, "routing_rule.created", "routing_rule", rule.Id, null, rule, now, ct);
        await tx.CommitAsync(ct);
        return rule;
    }

    public async Task<bool> DeleteRoutingAsync(Actor actor, Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var deleted = await Sql.ExecAsync(conn, tx, "delete from routing_rules where id = @id and business_id = @b", ct, ("id", id), ("b", actor.BusinessId)) == 1;
        if (deleted) await AuditLog.WriteAsync(conn, tx, actor, "routing_rule.deleted", "routing_rule", id, null, null, clock.GetUtcNow(), ct);
        await tx.CommitAsync(ct);
        return deleted;
    }

    public async Task<AutomationSet> ForBusinessAsync(Guid business, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await LoadAsync(conn, null, [business], ct))[business];
    }

    /// <summary>Sets the business's hours; its queues are drained at once, in case they are open now (conversations that
    /// waited for the old opening re-arm for the new one when their check fires).</summary>
    public async Task SetHoursAsync(Actor actor, BusinessHoursDocument hours, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var cmd = Sql.Command(conn, tx, "update businesses set hours = @h, time_zone = @tz, updated_at = @now, version = version + 1 where id = @b",
            ("tz", hours.TimeZone), ("now", now), ("b", actor.BusinessId)))
        {
            cmd.Parameters.Add(new NpgsqlParameter("h", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(hours, Effects.Json) });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await AuditLog.WriteAsync(conn, tx, actor, "business_hours.updated", "business", actor.BusinessId, null, hours, now, ct);
        foreach (var team in await Sql.QueryAsync(conn, tx, "select id from teams where business_id = @b", r => r.GetGuid(0), ct,
                     ("b", actor.BusinessId)))
            await Assignment.AssignmentTriggers.DrainTeamAsync(conn, tx, team, now, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Rules, routing, hours, default team, label rules and flows of several businesses, in one round trip (one ingest group).</summary>
    public static async Task<Dictionary<Guid, AutomationSet>> LoadAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid[] businesses, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var sql in new[]
        {
            $"select business_id, {RuleColumns} from auto_reply_rules where business_id = any(@b)",
            """
            select business_id, id, team_id, keywords, pattern, priority, created_at, updated_at, labels, pattern_timeouts, pattern_timed_out_at
              from routing_rules where business_id = any(@b) order by priority desc, created_at
            """,
            "select b.id, b.time_zone, b.hours::text, (select t.id from teams t where t.business_id = b.id and t.is_default), b.bot_quiet_minutes from businesses b where b.id = any(@b)",
            Labels.ActiveRulesQuery,
            BotFlows.LatestQuery,
        })
            batch.BatchCommands.Add(Sql.Command(sql, ("b", businesses)));
        await using var r = await batch.ExecuteReaderAsync(ct);
        var rules = await Sql.ReadAllAsync(r, x => (Business: x.GetGuid(0), Rule: ReadRule(x, 1)), ct);
        await r.NextResultAsync(ct);
        var routing = await Sql.ReadAllAsync(r, x => (Business: x.GetGuid(0), Rule: new RoutingRule(x.GetGuid(1), x.GetGuid(2), x.GetFieldValue<string[]>(3),
            x.NullableString(4), x.GetInt32(5), x.Time(6), x.Time(7), x.GetFieldValue<string[]>(8), x.GetInt32(9), x.NullableTime(10))), ct);
        await r.NextResultAsync(ct);
        var settings = await Sql.ReadAllAsync(r, x => (Business: x.GetGuid(0), Tz: x.GetString(1), Hours: x.NullableString(2), Default: x.NullableGuid(3),
            Quiet: TimeSpan.FromMinutes(x.GetInt32(4))), ct);
        await r.NextResultAsync(ct);
        var labelRules = await Sql.ReadAllAsync(r, Labels.ReadRule, ct);
        await r.NextResultAsync(ct);
        var flows = await Sql.ReadAllAsync(r, BotFlows.ReadLatest, ct);
        return settings.ToDictionary(s => s.Business, s => new AutomationSet(
            rules.Where(x => x.Business == s.Business).Select(x => x.Rule).ToList(),
            routing.Where(x => x.Business == s.Business).Select(x => x.Rule).ToList(),
            ParseHours(s.Tz, s.Hours),
            s.Default,
            labelRules.Where(x => x.Business == s.Business).Select(x => x.Rule).ToList(),
            flows.Where(x => x.Business == s.Business).Select(x => x.Flow).ToList()) { QuietPeriod = s.Quiet });
    }

    /// <summary>The businesses' hours (their calendars in their time zones), for the rules that count business
    /// time.</summary>
    public static async Task<Dictionary<Guid, BusinessHours>> HoursAsync(NpgsqlConnection conn, NpgsqlTransaction? tx,
        Guid[] businesses, CancellationToken ct)
    {
        if (businesses.Length == 0) return [];
        var stored = (await Sql.QueryAsync(conn, tx,
            "select id, time_zone, hours::text from businesses where id = any(@b)",
            r => (Id: r.GetGuid(0), Hours: ParseHours(r.GetString(1), r.NullableString(2))), ct, ("b", businesses)))
            .ToDictionary(x => x.Id, x => x.Hours);
        // A business without its row (data written by hand) keeps the default calendar.
        return businesses.ToDictionary(b => b, b => stored.GetValueOrDefault(b) ?? BusinessHours.Default("UTC"));
    }

    /// <summary>The hours that govern a conversation: its team's own (<c>Own</c>), when the team has some, else the
    /// business's — one query.</summary>
    public static async Task<(BusinessHours Hours, bool Own)> GoverningHoursAsync(NpgsqlConnection conn,
        NpgsqlTransaction? tx, Guid business, Guid? team, CancellationToken ct)
    {
        var row = (await Sql.QueryAsync(conn, tx, """
            select b.time_zone, b.hours::text, t.hours::text
              from businesses b left join teams t on t.id = @t and t.business_id = b.id where b.id = @b
            """, r => (Tz: r.GetString(0), Business: r.NullableString(1), Team: r.NullableString(2)), ct,
            ("b", business), ("t", (object?)team ?? DBNull.Value))).SingleOrDefault();
        if (row.Tz is null) return (BusinessHours.Default("UTC"), false);   // no business row (data written by hand)
        return row.Team is { } own
            ? (JsonSerializer.Deserialize<BusinessHoursDocument>(own, Effects.Json)!.ToHours(), true)
            : (ParseHours(row.Tz, row.Business), false);
    }

    public static async Task<BusinessHours> HoursForAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid business,
        Guid? team, CancellationToken ct) => (await GoverningHoursAsync(conn, tx, business, team, ct)).Hours;

    /// <summary>The teams among <paramref name="teams"/> that keep hours of their own.</summary>
    public static async Task<Dictionary<Guid, BusinessHours>> TeamHoursAsync(NpgsqlConnection conn, NpgsqlTransaction? tx,
        Guid[] teams, CancellationToken ct) =>
        teams.Length == 0 ? [] : (await Sql.QueryAsync(conn, tx,
            "select id, hours::text from teams where id = any(@t) and hours is not null",
            r => (Id: r.GetGuid(0), Hours: ParseHours("UTC", r.GetString(1))), ct, ("t", teams)))
            .ToDictionary(x => x.Id, x => x.Hours);

    /// <summary>Sets a team's own hours, or (null) gives it the business's again; its queue is drained at once, in case
    /// it is open now. Audited. False when the team is not the business's.</summary>
    public async Task<bool> SetTeamHoursAsync(Actor actor, Guid team, BusinessHoursDocument? hours, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = (await Sql.QueryAsync(conn, tx,
            "select hours::text from teams where id = @t and business_id = @b for update",
            r => r.NullableString(0), ct, ("t", team), ("b", actor.BusinessId))).ToList();
        if (before.Count == 0) return false;
        await using (var cmd = Sql.Command(conn, tx,
            "update teams set hours = @h, updated_at = @now, version = version + 1 where id = @t", ("now", now), ("t", team)))
        {
            cmd.Parameters.Add(new NpgsqlParameter("h", NpgsqlDbType.Jsonb)
                { Value = hours is null ? DBNull.Value : JsonSerializer.Serialize(hours, Effects.Json) });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        var previous = before[0] is { } stored ? JsonSerializer.Deserialize<BusinessHoursDocument>(stored, Effects.Json) : null;
        await AuditLog.WriteAsync(conn, tx, actor, hours is null ? "team_hours.cleared" : "team_hours.updated", "team", team,
            previous, hours, now, ct);
        await Assignment.AssignmentTriggers.DrainTeamAsync(conn, tx, team, now, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>A stored hours document (it carries its own time zone), or the default calendar in
    /// <paramref name="timeZone"/> when none is stored.</summary>
    private static BusinessHours ParseHours(string timeZone, string? stored) => stored is null
        ? BusinessHours.Default(timeZone)
        : JsonSerializer.Deserialize<BusinessHoursDocument>(stored, Effects.Json)!.ToHours();

    /// <summary>What the bot knows of a contact at <paramref name="at"/>: name, language, automated messages in 24
    /// hours.</summary>
    public async Task<(string? Name, string? Language, int AutomatedInLast24h)> BotFactsAsync(
        Guid business, Guid contact, DateTimeOffset at, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, """
            select name, language,
                   (select count(*)::int from messages m
                     where m.contact_id = c.id and m.author_id = 'bot' and m.created_at > @since)
              from contacts c where c.id = @id and c.business_id = @b
            """, x => (x.NullableString(0), x.NullableString(1), x.GetInt32(2)), ct,
            ("id", contact), ("b", business), ("since", at - TimeSpan.FromHours(24)))).SingleOrDefault();
    }

    private static AutoReplyRule ReadRule(NpgsqlDataReader r) => ReadRule(r, 0);

    private static AutoReplyRule ReadRule(NpgsqlDataReader r, int o) => new(
        r.GetGuid(o), r.GetString(o + 1), r.GetString(o + 2), r.GetFieldValue<string[]>(o + 3), r.NullableString(o + 4),
        r.IsDBNull(o + 5) ? null : r.GetFieldValue<TimeOnly>(o + 5), r.IsDBNull(o + 6) ? null : r.GetFieldValue<TimeOnly>(o + 6),
        r.GetFieldValue<string[]>(o + 7), JsonSerializer.Deserialize<List<BotButton>>(r.GetString(o + 8), Effects.Json)!, r.GetInt32(o + 9), r.GetBoolean(o + 10));
}

/// <summary>Business hours as stored and as the API takes them: intervals per day ("08:00"–"22:00"), holidays, IANA time zone.</summary>
public sealed record BusinessHoursDocument(string TimeZone, Dictionary<DayOfWeek, List<IntervalDocument>> Week, List<DateOnly> Holidays)
{
    public BusinessHours ToHours() => new(TimeZone,
        Week.ToDictionary(d => d.Key, d => (IReadOnlyList<OpeningInterval>)d.Value.Select(i => new OpeningInterval(TimeOnly.Parse(i.From), TimeOnly.Parse(i.To))).ToList()),
        Holidays.ToHashSet());
}

public sealed record IntervalDocument(string From, string To);
