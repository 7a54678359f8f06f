using System.Text;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Reports;

public sealed record ReportFilter(DateTimeOffset From, DateTimeOffset To, Guid? ChannelId = null, Guid? TeamId = null, Guid? AgentId = null,
    string? Label = null, string? Language = null);

/// <summary>Mean, median, 90th percentile and standard deviation of a duration, in seconds.</summary>
public sealed record DurationStats(int Count, double? Mean, double? Median, double? P90, double? StdDev);

/// <summary>Conversations by how long the customer waited for the first human reply, and how many of each converted.</summary>
public sealed record WaitTier(string Tier, int Conversations, int Converted, decimal? ConversionRate);

/// <summary>Opened → first reply (human or bot) → resolved → converted (an order the CRM posted).</summary>
public sealed record Funnel(int Opened, int Replied, int Resolved, int Converted);

public sealed record ConversationSummary(
    ReportFilter Filter, int Conversations, DurationStats FirstResponse, DurationStats Resolution,
    decimal? ResolutionRate, decimal? AbandonmentRate, decimal? TransferRate, decimal? BotResolvedShare, double BotHoursSaved,
    IReadOnlyList<WaitTier> WaitTiers, Funnel Funnel, decimal? TopFiveLabelShare, decimal? RepeatRate, DurationStats ReplyTime);

/// <summary>
/// Key figures over conversations opened in a period, from what was recorded as it happened:
/// first response = first human reply − opening (or the bot's hand-over, when the bot had it first); notes
/// and bot replies do not count. Reply time = each human reply − the first customer message it answers (or the
/// bot's hand-over). Resolution time = resolved − opened. Resolution rate = share resolved
/// within 24 h. Abandonment = share resolved with neither a human reply nor the bot resolving it. Transfer
/// rate = share with at least one hand-over between people. Bot-resolved share = share the bot resolved;
/// hours saved = those conversations × the mean resolution time of conversations people resolved.
/// Wait tiers: first response under 5 min, 5–15, over 15, with conversions in each. Top-5 share: the five most
/// used labels' conversations over all labelled ones. Repeat rate: labelled conversations whose contact had a
/// conversation with one of the same labels in the 7 days before.
/// </summary>
public sealed class ConversationReport(NpgsqlDataSource db, Rollups rollups)
{
    public async Task<ConversationSummary> SummaryAsync(Guid business, ReportFilter f, CancellationToken ct)
    {
        if (await rollups.UseForAsync(business, f, ct)) return await rollups.SummaryAsync(business, f, ct);
        return await ExactAsync(business, f, ct);
    }

    /// <summary>The same figures computed from the conversations themselves (exact percentiles).</summary>
    public async Task<ConversationSummary> ExactAsync(Guid business, ReportFilter f, CancellationToken ct)
    {
        var where = new StringBuilder("v.business_id = @b and v.opened_at >= @from and v.opened_at < @to");
        var ps = new List<(string, object?)> { ("b", business), ("from", f.From), ("to", f.To) };
        if (f.ChannelId is not null) { where.Append(" and v.channel_id = @channel"); ps.Add(("channel", f.ChannelId)); }
        if (f.TeamId is not null) { where.Append(" and v.team_id = @team"); ps.Add(("team", f.TeamId)); }
        if (f.AgentId is not null) { where.Append(" and v.assignee_id = @agent"); ps.Add(("agent", f.AgentId)); }
        if (f.Label is not null) { where.Append(" and @label = any(v.labels)"); ps.Add(("label", f.Label)); }
        if (f.Language is not null) { where.Append(" and p.language = @lang"); ps.Add(("lang", f.Language)); }
        var sql = $"""
            with c as (
                select v.* from conversations v join contacts p on p.id = v.contact_id where {where}),
            frt as (select coalesce(first_response_s, extract(epoch from first_human_reply_at - coalesce(handed_over_at, opened_at))::float8) as s from c where first_human_reply_at is not null),
            res as (select extract(epoch from resolved_at - opened_at)::float8 as s from c where resolved_at is not null),
            conv as (select id from c where converted_at is not null),
            waits as (select id, coalesce(first_response_s, extract(epoch from first_human_reply_at - coalesce(handed_over_at, opened_at))::float8) / 60 as m from c where first_human_reply_at is not null),
            labelled as (select id, unnest(labels) as label from c),
            top5 as (select label, count(distinct id) as n from labelled group by label order by n desc, label limit 5),
            rt as (select (e.data->>'replySeconds')::float8 as s from entity_events e join c on c.id = e.entity_id
                    where e.entity_type = 'conversation' and e.type = 'conversation.human_replied' and e.data->>'replySeconds' is not null)
            select (select count(*)::int from c),
                   (select count(*)::int from frt), (select avg(s) from frt), (select percentile_cont(0.5) within group (order by s) from frt),
                   (select percentile_cont(0.9) within group (order by s) from frt), (select stddev_pop(s) from frt),
                   (select count(*)::int from res), (select avg(s) from res), (select percentile_cont(0.5) within group (order by s) from res),
                   (select percentile_cont(0.9) within group (order by s) from res), (select stddev_pop(s) from res),
                   (select count(*)::int from c where resolved_at is not null and resolved_at - opened_at <= interval '24 hours'
                       and resolution is distinct from 'abandoned'),
                   (select count(*)::int from c where status = 'resolved' and first_human_reply_at is null and coalesce(bot_outcome, '') <> 'resolved'),
                   (select count(*)::int from c where handovers > 0),
                   (select count(*)::int from c where bot_outcome = 'resolved'),
                   (select avg(extract(epoch from resolved_at - opened_at))::float8 from c where resolved_at is not null and first_human_reply_at is not null),
                   (select count(*)::int from waits where m < 5), (select count(*)::int from waits w join conv on conv.id = w.id where m < 5),
                   (select count(*)::int from waits where m >= 5 and m <= 15), (select count(*)::int from waits w join conv on conv.id = w.id where m >= 5 and m <= 15),
                   (select count(*)::int from waits where m > 15), (select count(*)::int from waits w join conv on conv.id = w.id where m > 15),
                   (select count(*)::int from c where first_human_reply_at is not null or bot_replies > 0),
                   (select count(*)::int from c where resolved_at is not null),
                   (select count(*)::int from conv),
                   (select count(distinct id)::int from labelled where label in (select label from top5)),
                   (select count(distinct id)::int from labelled),
                   (select count(*)::int from c where cardinality(labels) > 0 and exists (
                        select 1 from conversations o where o.contact_id = c.contact_id and o.id <> c.id and o.labels && c.labels
                           and o.opened_at < c.opened_at and o.opened_at >= c.opened_at - interval '7 days')),
                   (select count(*)::int from rt), (select avg(s) from rt), (select percentile_cont(0.5) within group (order by s) from rt),
                   (select percentile_cont(0.9) within group (order by s) from rt), (select stddev_pop(s) from rt)
            """;
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, sql, r =>
        {
            double? D(int i) => r.IsDBNull(i) ? null : Convert.ToDouble(r.GetValue(i));
            var total = r.GetInt32(0);
            decimal? Rate(int i) => ReportPeriod.Ratio(r.GetInt32(i), total);
            var botResolved = r.GetInt32(14);
            decimal? Of(int part, int whole) => ReportPeriod.Ratio(part, whole);
            WaitTier Tier(string name, int i) => new(name, r.GetInt32(i), r.GetInt32(i + 1), Of(r.GetInt32(i + 1), r.GetInt32(i)));
            var labelled = r.GetInt32(26);
            return new ConversationSummary(f, total,
                new DurationStats(r.GetInt32(1), D(2), D(3), D(4), D(5)), new DurationStats(r.GetInt32(6), D(7), D(8), D(9), D(10)),
                Rate(11), Rate(12), Rate(13), Rate(14), Math.Round(botResolved * (D(15) ?? 0) / 3600, 2),
                [Tier("under_5_min", 16), Tier("5_to_15_min", 18), Tier("over_15_min", 20)],
                new Funnel(total, r.GetInt32(22), r.GetInt32(23), r.GetInt32(24)), Of(r.GetInt32(25), labelled), Of(r.GetInt32(27), labelled),
                new DurationStats(r.GetInt32(28), D(29), D(30), D(31), D(32)));
        }, ct, ps.ToArray())).Single();
    }
}
