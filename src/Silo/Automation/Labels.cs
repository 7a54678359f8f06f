using Engine.Grains.Automation;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Automation;

/// <summary>A label; a <see cref="Retired"/> one stays on the conversations that have it but is offered nowhere and
/// applied by no rule.</summary>
public sealed record LabelView(Guid Id, string Name, Guid? ParentId, string Path, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    bool Retired = false);

/// <summary>What deleting a label removed: the label, its rules.</summary>
public sealed record LabelDeleted(Guid Id, string Path, int Rules);
/// <summary>An auto-label rule; <see cref="PatternTimeouts"/> counts the messages on which its pattern ran out of
/// time (flagged).</summary>
public sealed record LabelRule(Guid Id, Guid LabelId, string Path, IReadOnlyList<string> Keywords, string? Pattern, int PatternTimeouts = 0,
    DateTimeOffset? PatternTimedOutAt = null)
{
    public bool Flagged => PatternTimeouts > 0;

    public bool Matches(string text, RuleTimeouts? timeouts = null)
    {
        if (Keywords.Any(k => KeywordMatcher.Matches(text, k))) return true;
        if (Pattern is null) return false;
        var outcome = RulePattern.Test(Pattern, text);
        if (outcome == RulePattern.Outcome.TimedOut) timeouts?.Labelled(Id);
        return outcome == RulePattern.Outcome.Match;
    }
}
public sealed record LabelUsage(Guid LabelId, string Path, int Conversations, decimal Share, bool FlaggedForRetirement);
public sealed record LabelUsageReport(DateTimeOffset From, DateTimeOffset To, int Conversations, IReadOnlyList<LabelUsage> Labels, int LabelCount, string? Warning);

/// <summary>
/// Labels in two levels (main → sub), applied by hand or by auto-label rules (keywords or a regex, e.g. a
/// tracking number → "logistics") in the inbound transaction. Usage per label over a period; labels on
/// fewer than 5% of the period's conversations are flagged for retirement; more than 20 labels draws a warning.
/// </summary>
public sealed class Labels(NpgsqlDataSource db, Runtime.Transactions runtime, Reports.Rollups rollups, TimeProvider clock)
{
    public const int WarnAbove = 20;
    public const decimal RetireBelowShare = 0.05m;

    public async Task<LabelView> CreateAsync(Actor actor, string name, Guid? parent, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        string path = name;
        if (parent is { } p)
        {
            var parentRow = (await Sql.QueryAsync(conn, tx, "select path, parent_id from labels where id = @p and business_id = @b",
                r => (Path: r.GetString(0), Parent: r.NullableGuid(1)), ct, ("p", p), ("b", actor.BusinessId))).SingleOrDefault();
            if (parentRow.Path is null) throw new RefusedException("invalid_label", "The parent label does not exist.");
            if (parentRow.Parent is not null) throw new RefusedException("invalid_label", "Labels have two levels: a sub-label's parent must be a main label.");
            path = $"{parentRow.Path}/{name}";
        }
        var label = new LabelView(Guid.CreateVersion7(), name, parent, path, now, now);
        await Sql.ExecAsync(conn, tx, "insert into labels (id, business_id, name, parent_id, path, created_at, updated_at) values (@id, @b, @n, @p, @path, @now, @now)",
            ct, ("id", label.Id), ("b", actor.BusinessId), ("n", name), ("p", parent), ("path", path), ("now", now));
        await AuditLog.WriteAsync(conn, tx, actor, "label.created", "label", label.Id, null, label, now, ct);
        await tx.CommitAsync(ct);
        return label;
    }

    public async Task<IReadOnlyList<LabelRule>> RulesAsync(Guid business, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, RulesQuery, r => ReadRule(r).Rule, ct, ("b", new[] { business }));
    }

    public async Task<IReadOnlyList<LabelView>> ListAsync(Guid business, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, $"select {LabelColumns} from labels where business_id = @b order by path",
            ReadLabel, ct, ("b", business));
    }

    /// <summary>A change in one transaction (the project's: retried on a transient failure, rolled back when
    /// <paramref name="work"/> throws), at the clock's now.</summary>
    private Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, DateTimeOffset, Task<T>> work,
        CancellationToken ct) =>
        runtime.CallAsync((conn, tx, _) => work(conn, tx, clock.GetUtcNow()), ct);

    private static async Task<LabelView?> LabelForUpdateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid business,
        Guid id, CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx, $"select {LabelColumns} from labels where id = @id and business_id = @b for update",
            ReadLabel, ct, ("id", id), ("b", business))).SingleOrDefault();

    private const string LabelColumns = "id, name, parent_id, path, created_at, updated_at, retired_at is not null";

    private static LabelView ReadLabel(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetString(1), r.NullableGuid(2), r.GetString(3), r.Time(4), r.Time(5), r.GetBoolean(6));

    /// <summary>
    /// Renames a label (its sub-labels' paths and the conversations that carry them follow, so reports continue under
    /// the new name) and retires or restores it. Null when no such label is in the business.
    /// </summary>
    public Task<LabelView?> UpdateAsync(Actor actor, Guid id, string? name, bool? retired, CancellationToken ct) =>
        InTransactionAsync(async (conn, tx, now) =>
        {
            var before = await LabelForUpdateAsync(conn, tx, actor.BusinessId, id, ct);
            if (before is null) return null;
            if (name is not null && name != before.Name)
            {
                var path = before.ParentId is null ? name : $"{before.Path[..before.Path.LastIndexOf('/')]}/{name}";
                if (await Sql.QueryAsync(conn, tx, "select 1 from labels where business_id = @b and path = @p",
                        r => r.GetInt32(0), ct, ("b", actor.BusinessId), ("p", path)) is [_])
                    throw new RefusedException("label_exists", $"There is a label {path} already.");
                var renames = (await Sql.QueryAsync(conn, tx, """
                    select path, @new || substr(path, length(@old) + 1) from labels
                     where business_id = @b and (id = @id or parent_id = @id)
                    """, r => (Old: r.GetString(0), New: r.GetString(1)), ct, ("b", actor.BusinessId), ("id", id),
                    ("old", before.Path), ("new", path))).ToList();
                await Sql.ExecAsync(conn, tx, """
                    update labels set name = case when id = @id then @name else name end,
                           path = @new || substr(path, length(@old) + 1), updated_at = @now
                     where business_id = @b and (id = @id or parent_id = @id)
                    """, ct, ("id", id), ("name", name), ("new", path), ("old", before.Path), ("now", now),
                ("b", actor.BusinessId));
                // The conversations carrying it (their report rows follow through the rollup triggers) and the routing
                // rules naming it.
                foreach (var (old, renamed) in renames)
                    await Sql.ExecAsync(conn, tx, """
                        update conversations set labels = array_replace(labels, @old, @new), updated_at = @now,
                               version = version + 1
                         where business_id = @b and @old = any(labels);
                        update routing_rules set labels = array_replace(labels, @old, @new), updated_at = @now
                         where business_id = @b and @old = any(labels);
                        """, ct, ("old", old), ("new", renamed), ("now", now), ("b", actor.BusinessId));
            }
            if (retired is { } r2 && r2 != before.Retired)
                await Sql.ExecAsync(conn, tx, "update labels set retired_at = @at, updated_at = @now where id = @id", ct,
                    ("at", r2 ? now : null), ("now", now), ("id", id));
            var after = (await LabelForUpdateAsync(conn, tx, actor.BusinessId, id, ct))!;
            await AuditLog.WriteAsync(conn, tx, actor, "label.updated", "label", id, before, after, now, ct);
            return after;
        }, ct);

    /// <summary>Deletes a label no conversation ever had (with its rules); one in use is refused — retire it instead,
    /// its history stays. Null when no such label is in the business.</summary>
    public Task<LabelDeleted?> DeleteAsync(Actor actor, Guid id, CancellationToken ct) =>
        InTransactionAsync(async (conn, tx, now) =>
        {
            var label = await LabelForUpdateAsync(conn, tx, actor.BusinessId, id, ct);
            if (label is null) return null;
            var (used, children) = (await Sql.QueryAsync(conn, tx, """
                select (select count(*) from conversation_labels where label_id = @id)::int,
                       (select count(*) from labels where parent_id = @id)::int
                """, r => (r.GetInt32(0), r.GetInt32(1)), ct, ("id", id))).Single();
            if (used > 0)
                throw new RefusedException("label_in_use",
                    $"{label.Path} is on {used} conversation(s): retire it instead (it stays on them, offered "
                    + "nowhere).");
            if (children > 0)
                throw new RefusedException("label_in_use",
                    $"{label.Path} has {children} sub-label(s): delete or retire those first.");
            var rules = await Sql.ExecAsync(conn, tx, "delete from label_rules where label_id = @id", ct, ("id", id));
            await Sql.ExecAsync(conn, tx, "delete from labels where id = @id", ct, ("id", id));
            var deleted = new LabelDeleted(id, label.Path, rules);
            await AuditLog.WriteAsync(conn, tx, actor, "label.deleted", "label", id, label, deleted, now, ct);
            return deleted;
        }, ct);

    /// <summary>Changes an auto-label rule's keywords and/or pattern (the next message is labelled by the new ones);
    /// null when no such rule is in the business.</summary>
    public Task<LabelRule?> UpdateRuleAsync(Actor actor, Guid id, IReadOnlyList<string>? keywords, string? pattern,
        bool clearPattern, CancellationToken ct) =>
        InTransactionAsync(async (conn, tx, now) =>
        {
            var before = await RuleAsync(conn, tx, actor.BusinessId, id, ct);
            if (before is null) return null;
            var words = keywords ?? before.Keywords;
            var regex = clearPattern ? null : pattern ?? before.Pattern;
            if (words.Count == 0 && regex is null)
                throw new RefusedException("invalid_rule", "A rule needs keywords, a pattern, or both.");
            await Sql.ExecAsync(conn, tx, """
                update label_rules set keywords = @k, pattern = @p, updated_at = @now,
                       pattern_timeouts = case when @p is distinct from pattern then 0 else pattern_timeouts end
                 where id = @id
                """, ct, ("k", words.ToArray()), ("p", regex), ("now", now), ("id", id));
            var after = (await RuleAsync(conn, tx, actor.BusinessId, id, ct))!;
            await AuditLog.WriteAsync(conn, tx, actor, "label_rule.updated", "label_rule", id, before, after, now, ct);
            return after;
        }, ct);

    private static async Task<LabelRule?> RuleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid business, Guid id,
        CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx, RuleQuery, r => ReadRule(r).Rule, ct, ("b", new[] { business }), ("id", id))).SingleOrDefault();

    /// <summary>Deletes an auto-label rule; null when no such rule is in the business.</summary>
    public Task<LabelRule?> DeleteRuleAsync(Actor actor, Guid id, CancellationToken ct) =>
        InTransactionAsync(async (conn, tx, now) =>
        {
            var rule = await RuleAsync(conn, tx, actor.BusinessId, id, ct);
            if (rule is null) return null;
            await Sql.ExecAsync(conn, tx, "delete from label_rules where id = @id", ct, ("id", id));
            await AuditLog.WriteAsync(conn, tx, actor, "label_rule.deleted", "label_rule", id, rule, null, now, ct);
            return rule;
        }, ct);

    public async Task<LabelRule> AddRuleAsync(Actor actor, Guid label, IReadOnlyList<string> keywords, string? pattern, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var path = (await Sql.QueryAsync(conn, tx, "select path from labels where id = @l and business_id = @b", r => r.GetString(0), ct, ("l", label), ("b", actor.BusinessId))).SingleOrDefault()
            ?? throw new RefusedException("invalid_label", "No such label.");
        var rule = new LabelRule(Guid.CreateVersion7(), label, path, keywords, pattern);
        await Sql.ExecAsync(conn, tx, "insert into label_rules (id, business_id, label_id, keywords, pattern, created_at, updated_at) values (@id, @b, @l, @k, @p, @now, @now)",
            ct, ("id", rule.Id), ("b", actor.BusinessId), ("l", label), ("k", keywords.ToArray()), ("p", pattern), ("now", now));
        await AuditLog.WriteAsync(conn, tx, actor, "label_rule.created", "label_rule", rule.Id, null, rule, now, ct);
        await tx.CommitAsync(ct);
        return rule;
    }

    /// <summary>Applies (or removes) a label on a conversation by hand; false when the conversation or label is not this business's.</summary>
    public async Task<bool> SetAsync(Actor actor, Guid conversation, Guid label, bool apply, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var (path, retired) = (await Sql.QueryAsync(conn, tx, """
            select l.path, l.retired_at is not null from labels l join conversations c on c.business_id = l.business_id
             where l.id = @l and c.id = @c and c.business_id = @b
            """, r => (r.GetString(0), r.GetBoolean(1)), ct, ("l", label), ("c", conversation), ("b", actor.BusinessId)))
            .SingleOrDefault();
        if (path is null) return false;
        if (apply && retired) throw new RefusedException("label_retired", $"{path} is retired: it is applied no more.");
        var batch = new NpgsqlBatch(conn, tx);
        if (apply) foreach (var cmd in Apply(conversation, label, path, actor.UserId?.ToString() ?? actor.Id, now)) batch.BatchCommands.Add(cmd);
        else
        {
            batch.BatchCommands.Add(Sql.Command("delete from conversation_labels where conversation_id = @c and label_id = @l", ("c", conversation), ("l", label)));
            batch.BatchCommands.Add(Sql.Command("update conversations set labels = array_remove(labels, @p), updated_at = @now, version = version + 1 where id = @c",
                ("p", path), ("now", now), ("c", conversation)));
        }
        batch.BatchCommands.Add(AuditLog.Entry(actor, apply ? "label.applied" : "label.removed", "conversation", conversation, null, new { label, path }, now));
        await batch.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>The statements that put a label on a conversation (idempotent); used by hand and by auto-label rules in the inbound transaction.</summary>
    public static IEnumerable<NpgsqlBatchCommand> Apply(Guid conversation, Guid label, string path, string by, DateTimeOffset now)
    {
        yield return Sql.Command("insert into conversation_labels (conversation_id, label_id, applied_at, applied_by) values (@c, @l, @now, @by) on conflict do nothing",
            ("c", conversation), ("l", label), ("now", now), ("by", by));
        yield return Sql.Command("update conversations set labels = array_append(labels, @p) where id = @c and not (@p = any(labels))", ("p", path), ("c", conversation));
    }

    public async Task<LabelUsageReport> UsageAsync(Guid business, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        var (start, end) = Reports.ReportPeriod.Resolve(from, to, clock.GetUtcNow(), 91);   // default: a quarter
        await using var conn = await db.OpenConnectionAsync(ct);
        List<(Guid Id, string Path, int Count)> rows;
        int total;
        if (await rollups.UseForAsync(business, new Reports.ReportFilter(start, end), ct))
        {
            // Large periods: the label family of the rollups (conversations carrying each label, by the hour they opened).
            var (all, byLabel) = await rollups.LabelCountsAsync(business, start, end, ct);
            total = (int)all;
            rows = (await Sql.QueryAsync(conn, null, "select id, path from labels where business_id = @b order by path", r => (Id: r.GetGuid(0), Path: r.GetString(1)), ct, ("b", business)))
                .Select(l => (l.Id, l.Path, (int)byLabel.GetValueOrDefault(l.Path))).ToList();
        }
        else
        {
            total = (await Sql.QueryAsync(conn, null, "select count(*)::int from conversations where business_id = @b and opened_at >= @f and opened_at < @t",
                r => r.GetInt32(0), ct, ("b", business), ("f", start), ("t", end)))[0];
            rows = await Sql.QueryAsync(conn, null, """
                select l.id, l.path, count(distinct c.id)::int from labels l
                  left join conversation_labels cl on cl.label_id = l.id
                  left join conversations c on c.id = cl.conversation_id and c.opened_at >= @f and c.opened_at < @t
                 where l.business_id = @b group by l.id, l.path order by l.path
                """, r => (Id: r.GetGuid(0), Path: r.GetString(1), Count: r.GetInt32(2)), ct, ("b", business), ("f", start), ("t", end));
        }
        var usage = rows.Select(r =>
        {
            var share = Reports.ReportPeriod.Ratio(r.Count, total) ?? 0m;
            return new LabelUsage(r.Id, r.Path, r.Count, share, share < RetireBelowShare);
        }).ToList();
        return new LabelUsageReport(start, end, total, usage, usage.Count,
            usage.Count > WarnAbove ? $"{usage.Count} labels: more than {WarnAbove} make labelling inconsistent; retire the flagged ones." : null);
    }

    /// <summary>Auto-label rules of the businesses in @b (read with the rest of their automation).</summary>
    private const string RulesSelect = """
        select r.business_id, r.id, r.label_id, l.path, r.keywords, r.pattern, r.pattern_timeouts, r.pattern_timed_out_at
          from label_rules r join labels l on l.id = r.label_id where r.business_id = any(@b)
        """;

    internal const string RulesQuery = RulesSelect + " order by r.created_at, r.id";

    /// <summary>The rules that label incoming messages: those of labels not retired.</summary>
    internal const string ActiveRulesQuery = RulesSelect + " and l.retired_at is null order by r.created_at, r.id";

    private const string RuleQuery = RulesSelect + " and r.id = @id";

    internal static (Guid Business, LabelRule Rule) ReadRule(NpgsqlDataReader r) =>
        (r.GetGuid(0), new LabelRule(r.GetGuid(1), r.GetGuid(2), r.GetString(3), r.GetFieldValue<string[]>(4), r.NullableString(5), r.GetInt32(6),
            r.NullableTime(7)));

    /// <summary>Flags the rules whose pattern ran out of time in this commit (they matched nothing for that
    /// message).</summary>
    public static IEnumerable<NpgsqlBatchCommand> FlagTimeouts(RuleTimeouts timeouts, DateTimeOffset now)
    {
        if (timeouts.Routing.Count > 0)
            yield return Sql.Command("update routing_rules set pattern_timeouts = pattern_timeouts + 1, pattern_timed_out_at = @now where id = any(@ids)",
                ("now", now), ("ids", timeouts.Routing.ToArray()));
        if (timeouts.Labels.Count > 0)
            yield return Sql.Command("update label_rules set pattern_timeouts = pattern_timeouts + 1, pattern_timed_out_at = @now where id = any(@ids)",
                ("now", now), ("ids", timeouts.Labels.ToArray()));
    }
}
