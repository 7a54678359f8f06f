using Engine.Grains.Automation;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Automation;

public sealed record TestQuestion(Guid Id, string Text, string Expected, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
public sealed record TestOutcome(string Text, string Expected, string Actual, bool Match);
public sealed record MatchRateReport(int Questions, int Matched, decimal Rate, IReadOnlyList<TestOutcome> Misses,
    int LiveQuestions, int LiveAnswered, decimal LiveShare, DateTimeOffset LiveFrom, DateTimeOffset LiveTo);

/// <summary>
/// How well the bot's rules match: over the business's test set (each sample question against the rule it
/// should get — the specification's target is ≥ 90% on 100 questions), and over live traffic (the share of
/// customer messages in a period that a rule answered).
/// </summary>
public sealed class MatchRate(NpgsqlDataSource db, AutomationStore automation, TimeProvider clock)
{
    public async Task<int> AddAsync(Actor actor, IReadOnlyList<(string Text, string Expected)> questions, bool replace, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (replace) await Sql.ExecAsync(conn, tx, "delete from bot_test_questions where business_id = @b", ct, ("b", actor.BusinessId));
        var added = await Sql.ExecAsync(conn, tx, """
            insert into bot_test_questions (id, business_id, text, expected, created_at, updated_at)
            select gen_random_uuid(), @b, t, e, @now, @now from unnest(@t, @e) as u(t, e)
            """, ct, ("b", actor.BusinessId), ("t", questions.Select(q => q.Text).ToArray()), ("e", questions.Select(q => q.Expected).ToArray()), ("now", now));
        await AuditLog.WriteAsync(conn, tx, actor, "bot_test_set.updated", "business", actor.BusinessId, null, new { added, replace }, now, ct);
        await tx.CommitAsync(ct);
        return added;
    }

    public async Task<MatchRateReport> ReportAsync(Guid business, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        var set = await automation.ForBusinessAsync(business, ct);
        var now = clock.GetUtcNow();
        var (start, end) = Reports.ReportPeriod.Resolve(from, to, now, 7);
        await using var conn = await db.OpenConnectionAsync(ct);
        var questions = await Sql.QueryAsync(conn, null, "select id, text, expected, created_at, updated_at from bot_test_questions where business_id = @b order by created_at, id",
            r => new TestQuestion(r.GetGuid(0), r.GetString(1), r.GetString(2), r.Time(3), r.Time(4)), ct, ("b", business));
        // Each question as a first message in business hours, with no automated replies yet: what the rules themselves answer.
        var openAt = set.Hours.IsOpen(now) ? now : set.Hours.NextOpening(now) is { } next
            ? new DateTimeOffset(next, TimeZoneInfo.FindSystemTimeZoneById(set.Hours.TimeZone).GetUtcOffset(next)) : now;
        var outcomes = questions.Select(q =>
        {
            var d = BotTurn.Decide(new BotContext(q.Text, null, false, false, 0, set.Rules, set.Hours, openAt, null, null, BotTurn.DefaultHandOverKeywords), new Random(0));
            var actual = d.Reply?.RuleName ?? (d.HandOver ? "hand_over" : "none");
            return new TestOutcome(q.Text, q.Expected, actual, string.Equals(actual, q.Expected, StringComparison.OrdinalIgnoreCase));
        }).ToList();
        var live = (await Sql.QueryAsync(conn, null, """
            select count(*) filter (where type = 'message.received')::int, count(*) filter (where type = 'bot.replied')::int
              from entity_events where business_id = @b and occurred_at >= @f and occurred_at < @t and type in ('message.received', 'bot.replied')
            """, r => (Received: r.GetInt32(0), Answered: r.GetInt32(1)), ct, ("b", business), ("f", start), ("t", end)))[0];
        var matched = outcomes.Count(o => o.Match);
        return new MatchRateReport(outcomes.Count, matched, Reports.ReportPeriod.Ratio(matched, outcomes.Count) ?? 0,
            outcomes.Where(o => !o.Match).ToList(), live.Received, live.Answered,
            Reports.ReportPeriod.Ratio(live.Answered, live.Received) ?? 0, start, end);
    }
}
