using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Automation;
using Engine.Silo.Database;
using Engine.Silo.Reports;
using Engine.Silo.Runtime;
using Npgsql;

namespace Engine.Silo.Alerts;

public sealed record AlertRule(string Kind, decimal Threshold, bool Enabled, string Unit, string Description);

public sealed record AlertView(Guid Id, string Kind, Guid SubjectId, decimal Value, decimal Threshold, string Text, DateTimeOffset RaisedAt, DateTimeOffset? ClearedAt);

/// <summary>
/// Alert rules (thresholds per business, defaults from the spec) and the alerts they raise. Every rule is evaluated by a
/// durable timer due exactly when its threshold can be crossed; raising and clearing are events (<c>alert.raised</c>,
/// <c>alert.cleared</c>), so they reach the live stream and webhook subscribers in the same transaction.
/// </summary>
public sealed class Alerts(
    NpgsqlDataSource db, Transactions runtime, Trends trends, Automation.Csat csat, TimeProvider clock, EngineMetrics metrics)
{
    public static readonly AlertRule[] Defaults =
    [
        new("waiting", 300, true, "seconds", "A conversation has waited in a queue longer than this."),
        new("vip_waiting", 30, true, "seconds", "A VIP customer's conversation has waited in a queue longer than this."),
        new("first_response", 180, true, "seconds", "No human has answered this long after opening (or the bot's hand-over)."),
        new("abandonment", 0.12m, true, "share", "Abandonment rate above this on each of the last 3 days."),
        new("csat", 0.90m, true, "share", "CSAT (share of 4–5 ratings) over the last 7 days below this."),
    ];

    public async Task<IReadOnlyList<AlertRule>> RulesAsync(Guid business, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await RulesAsync(conn, null, business, ct);
    }

    private static async Task<IReadOnlyList<AlertRule>> RulesAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid business, CancellationToken ct)
    {
        var stored = (await Sql.QueryAsync(conn, tx, "select kind, threshold, enabled from alert_rules where business_id = @b",
            r => (Kind: r.GetString(0), Threshold: r.GetDecimal(1), Enabled: r.GetBoolean(2)), ct, ("b", business))).ToDictionary(x => x.Kind);
        return Defaults.Select(d => stored.TryGetValue(d.Kind, out var s) ? d with { Threshold = s.Threshold, Enabled = s.Enabled } : d).ToList();
    }

    /// <summary>Replaces the thresholds given; the others keep theirs. Audited.</summary>
    public async Task<IReadOnlyList<AlertRule>> SetRulesAsync(Actor actor, IReadOnlyList<(string Kind, decimal Threshold, bool Enabled)> rules, CancellationToken ct)
    {
        foreach (var r in rules)
        {
            if (Defaults.All(d => d.Kind != r.Kind))
                throw new RefusedException("unknown_alert", $"No alert rule '{r.Kind}'; the rules are {string.Join(", ", Defaults.Select(d => d.Kind))}.");
            var unit = Defaults.Single(d => d.Kind == r.Kind).Unit;
            if (r.Threshold <= 0 || (unit == "share" && r.Threshold > 1) || (unit == "seconds" && r.Threshold > 86400))
                throw new RefusedException("invalid_threshold", unit == "share"
                    ? $"The '{r.Kind}' threshold is a share between 0 and 1 (0.12 = 12%)." : $"The '{r.Kind}' threshold is in seconds, between 1 and 86400.");
        }
        var now = clock.GetUtcNow();
        return await runtime.CallAsync(async (conn, tx, ct2) =>
        {
            var before = await RulesAsync(conn, tx, actor.BusinessId, ct2);
            foreach (var r in rules)
                await Sql.ExecAsync(conn, tx, """
                    insert into alert_rules (business_id, kind, threshold, enabled, updated_at) values (@b, @k, @t, @e, @now)
                    on conflict (business_id, kind) do update set threshold = excluded.threshold, enabled = excluded.enabled, updated_at = excluded.updated_at
                    """, ct2, ("b", actor.BusinessId), ("k", r.Kind), ("t", r.Threshold), ("e", r.Enabled), ("now", now));
            var after = await RulesAsync(conn, tx, actor.BusinessId, ct2);
            await AuditLog.WriteAsync(conn, tx, actor, "alert_rules.update", "business", actor.BusinessId, before, after, now, ct2);
            return after;
        }, ct);
    }

    public async Task<IReadOnlyList<AlertView>> ListAsync(Guid business, bool openOnly, int limit, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, $"""
            select id, kind, subject_id, value, threshold, text, raised_at, cleared_at from alerts
             where business_id = @b {(openOnly ? "and cleared_at is null" : "")} order by raised_at desc, id limit @n
            """, r => new AlertView(r.GetGuid(0), r.GetString(1), r.GetGuid(2), r.GetDecimal(3), r.GetDecimal(4), r.GetString(5), r.Time(6), r.NullableTime(7)),
            ct, ("b", business), ("n", limit));
    }

    /// <summary>Arms each business's daily check (abandonment, CSAT) for its next local midnight, where it is not armed
    /// yet (a new business).</summary>
    public async Task EnsureDailyChecksAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await Sql.ExecAsync(conn, null, """
            update businesses b
               set daily_check_at = (date_trunc('day', @now at time zone b.time_zone) + interval '1 day') at time zone b.time_zone
             where daily_check_at is null
            """, ct, ("now", clock.GetUtcNow()));
    }

    /// <summary>
    /// A conversation's alert check is due (in its grain's firing transaction, on the state it read): raises the alert
    /// when the threshold is crossed. Returns when to check again, when the threshold moved later since the check was
    /// armed.
    /// </summary>
    public async Task<DateTimeOffset?> CheckAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ConversationState state,
        string kind, DateTimeOffset now, Effects effects, CancellationToken ct)
    {
        switch (kind)
        {
            case ConversationTimers.FirstResponseAlert: return await FirstResponseAsync(conn, tx, state, now, effects, ct);
            case ConversationTimers.WaitingAlert: return await WaitingAsync(conn, tx, state, now, effects, ct);
            case ConversationTimers.AlertRecheck:
                await ClearAsync(conn, tx, state.Id, AlertWatch.Over(state), now, effects, ct);
                return null;
            default: throw new InvalidOperationException($"No alert check '{kind}'.");
        }
    }

    private async Task<DateTimeOffset?> FirstResponseAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        ConversationState s, DateTimeOffset now, Effects effects, CancellationToken ct)
    {
        if (!Engine.Grains.Conversations.ConversationRules.AwaitingFirstResponse(s)) return null;
        var rule = (await RulesAsync(conn, tx, s.BusinessId, ct)).Single(r => r.Kind == "first_response");
        if (!rule.Enabled) return null;
        var start = s.HandedOverAt ?? s.OpenedAt;
        var hours = await AutomationStore.HoursForAsync(conn, tx, s.BusinessId, s.TeamId, ct);
        var due = hours.AfterOpenTime(start, TimeSpan.FromSeconds((double)rule.Threshold));
        if (now < due) return due;
        var waited = Math.Round((decimal)hours.OpenTimeBetween(start, now).TotalSeconds);
        await RaiseAsync(conn, tx, s.BusinessId, "first_response", s.Id, waited, rule.Threshold,
            $"No first response after {waited} s (alert above {rule.Threshold} s).", now, effects, ct);
        return null;
    }

    private async Task<DateTimeOffset?> WaitingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ConversationState s,
        DateTimeOffset now, Effects effects, CancellationToken ct)
    {
        if (!AlertWatch.IsWaiting(s)) return null;
        var vip = (await Sql.QueryAsync(conn, tx, "select vip from contacts where id = @c", r => r.GetBoolean(0), ct,
            ("c", s.ContactId))).SingleOrDefault();
        var rule = (await RulesAsync(conn, tx, s.BusinessId, ct)).Single(r => r.Kind == (vip ? "vip_waiting" : "waiting"));
        if (!rule.Enabled) return null;
        var hours = await AutomationStore.HoursForAsync(conn, tx, s.BusinessId, s.TeamId, ct);
        var due = hours.AfterOpenTime(s.QueuedAt!.Value, TimeSpan.FromSeconds((double)rule.Threshold));
        if (now < due) return due;
        var waited = Math.Round((decimal)hours.OpenTimeBetween(s.QueuedAt.Value, now).TotalSeconds);
        await RaiseAsync(conn, tx, s.BusinessId, rule.Kind, s.Id, waited, rule.Threshold,
            $"{(vip ? "A VIP customer has" : "A customer has")} waited {waited} s in the queue (alert above {rule.Threshold} s).",
            now, effects, ct);
        return null;
    }

    /// <summary>
    /// Abandonment above the threshold on each of the last 3 local days, and CSAT over the last 7 days below it — as the daily
    /// and CSAT reports compute them (in the business grain's firing transaction). Returns the next local midnight, when
    /// the check is due again.
    /// </summary>
    public async Task<DateTimeOffset> DailyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid business,
        DateTimeOffset now, Effects effects, CancellationToken ct)
    {
        var tz = await trends.TimeZoneAsync(business, ct);
        var rules = await RulesAsync(conn, tx, business, ct);
        var today = Trends.LocalDate(now, tz);
        var abandonment = rules.Single(r => r.Kind == "abandonment");
        var days = (await trends.DailyAsync(business, 4, ct)).Take(3).Select(d => d.AbandonmentRate).ToList();   // the 3 days before today
        if (abandonment.Enabled && days.All(x => x > abandonment.Threshold))
            await RaiseAsync(conn, tx, business, "abandonment", business, days.Min()!.Value, abandonment.Threshold,
                $"Abandonment above {abandonment.Threshold:P0} three days in a row ({string.Join(", ", days.Select(x => $"{x:P1}"))}).", now, effects, ct);
        else await ClearAsync(conn, tx, business, ["abandonment"], now, effects, ct);

        var rule = rules.Single(r => r.Kind == "csat");
        var share = (await csat.ReportAsync(business, Trends.StartOfDay(today.AddDays(-7), tz), Trends.StartOfDay(today, tz), null, null, ct)).Csat;
        if (rule.Enabled && share < rule.Threshold)
            await RaiseAsync(conn, tx, business, "csat", business, share.Value, rule.Threshold,
                $"CSAT {share:P1} over the last 7 days (target {rule.Threshold:P0}).", now, effects, ct);
        else await ClearAsync(conn, tx, business, ["csat"], now, effects, ct);

        return Trends.StartOfDay(today.AddDays(1), tz);
    }

    private async Task RaiseAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid business, string kind, Guid subject, decimal value, decimal threshold,
        string text, DateTimeOffset now, Effects effects, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var inserted = await Sql.ExecAsync(conn, tx, """
            insert into alerts (id, business_id, kind, subject_id, value, threshold, text, raised_at) values (@id, @b, @k, @s, @v, @t, @x, @now)
            on conflict (business_id, kind, subject_id) where cleared_at is null do nothing
            """, ct, ("id", id), ("b", business), ("k", kind), ("s", subject), ("v", value), ("t", threshold), ("x", text), ("now", now));
        if (inserted == 0) return;
        metrics.AlertRaised(kind);
        // Every Editor and Administrator is told (a VIP waiting among the alerts), on the live stream too.
        await Notifications.NotificationStore.NotifyAsync(conn, tx, business, kind == "vip_waiting" ? "vip_waiting" : "alert",
            text, subject, new { AlertId = id, Kind = kind, SubjectId = subject, Value = value, Threshold = threshold }, now, ct);
        effects.Add(AlertWatch.EntityType, id, business, new Decision<int>(0,
            [new DomainEvent("alert.raised", now, new { AlertId = id, Kind = kind, SubjectId = subject, Value = value, Threshold = threshold, Text = text })], [], []), now);
    }

    private static async Task ClearAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid subject, string[] kinds, DateTimeOffset now, Effects effects, CancellationToken ct)
    {
        if (kinds.Length == 0) return;
        var cleared = await Sql.QueryAsync(conn, tx, """
            update alerts set cleared_at = @now where subject_id = @s and kind = any(@k) and cleared_at is null returning id, business_id, kind
            """, r => (Id: r.GetGuid(0), Business: r.GetGuid(1), Kind: r.GetString(2)), ct, ("now", now), ("s", subject), ("k", kinds));
        foreach (var c in cleared)
            effects.Add(AlertWatch.EntityType, c.Id, c.Business, new Decision<int>(0,
                [new DomainEvent("alert.cleared", now, new { AlertId = c.Id, c.Kind, SubjectId = subject })], [], []), now);
    }
}
