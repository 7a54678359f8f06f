using Engine.Silo.Automation;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Reports;

/// <summary>Key figures of one local day.</summary>
public sealed record DayFigures(
    DateOnly Date, int Conversations, double? FirstResponseMedian, decimal? ResolutionRate, decimal? AbandonmentRate,
    decimal? BotResolvedShare, int Ratings, decimal? Csat);

/// <summary>One local day's conversations (by opening) and how they went, before shares are taken.</summary>
public sealed record DayCounts(DateOnly Day, int Conversations, double? FirstResponseMedian, int ResolvedWithin24h, int Abandoned, int BotResolved);

public sealed record WeekMetric(string Metric, double? Current, double? Previous, double? Change, double? ChangePercent);

/// <summary>This week (Monday to Monday in the business's zone) against the week before, metric by metric.</summary>
public sealed record WeeklyReport(DateOnly WeekOf, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<WeekMetric> Metrics,
    ConversationSummary Current, ConversationSummary Previous);

/// <summary>Key figures daily and week over week, in the business's time zone (a conversation at 23:30 local counts on that local day).</summary>
public sealed class Trends(NpgsqlDataSource db, ConversationReport summaries, Rollups rollups, Csat csat, TimeProvider clock)
{
    public async Task<string> TimeZoneAsync(Guid business, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Team.BusinessSettings.GetAsync(conn, null, business, ct))!.TimeZone;
    }

    /// <summary>The instant a local day starts in the zone.</summary>
    public static DateTimeOffset StartOfDay(DateOnly day, string timeZone)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(30); // a day starting in a DST gap starts when clocks resume
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    public static DateOnly LocalDate(DateTimeOffset instant, string timeZone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, TimeZoneInfo.FindSystemTimeZoneById(timeZone)).DateTime);

    /// <summary>The last <paramref name="days"/> local days up to today.</summary>
    public async Task<IReadOnlyList<DayFigures>> DailyAsync(Guid business, int days, CancellationToken ct)
    {
        var tz = await TimeZoneAsync(business, ct);
        var today = LocalDate(clock.GetUtcNow(), tz);
        var first = today.AddDays(1 - days);
        var (from, to) = (StartOfDay(first, tz), StartOfDay(today.AddDays(1), tz));
        // Whole-hour zones group hourly rollups into local days exactly; large periods read those.
        var counts = from.Minute == 0 && await rollups.UseForAsync(business, new ReportFilter(from, to), ct)
            ? await rollups.DailyAsync(business, tz, from, to, ct)
            : await ExactDailyAsync(business, tz, from, to, ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        var ratings = (await Sql.QueryAsync(conn, null, """
            select (answered_at at time zone @tz)::date, count(*)::int, count(*) filter (where rating >= 4)::int from csat_requests
             where business_id = @b and answered_at >= @from and answered_at < @to group by 1
            """, r => (Day: DateOnly.FromDateTime(r.GetDateTime(0)), N: r.GetInt32(1), Good: r.GetInt32(2)), ct, ("b", business), ("from", from), ("to", to), ("tz", tz)))
            .ToDictionary(x => x.Day);
        return Enumerable.Range(0, days).Select(i => first.AddDays(i)).Select(d =>
        {
            var c = counts.GetValueOrDefault(d) ?? new DayCounts(d, 0, null, 0, 0, 0);
            ratings.TryGetValue(d, out var q);
            return new DayFigures(d, c.Conversations, c.FirstResponseMedian, ReportPeriod.Ratio(c.ResolvedWithin24h, c.Conversations),
                ReportPeriod.Ratio(c.Abandoned, c.Conversations), ReportPeriod.Ratio(c.BotResolved, c.Conversations), q.N, ReportPeriod.Ratio(q.Good, q.N));
        }).ToList();
    }

    private async Task<Dictionary<DateOnly, DayCounts>> ExactDailyAsync(Guid business, string tz, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, """
            with c as (
                select (v.opened_at at time zone @tz)::date as day, v.status, v.first_human_reply_at, v.resolved_at, v.opened_at, v.bot_outcome, v.resolution,
                       coalesce(v.first_response_s, extract(epoch from v.first_human_reply_at - coalesce(v.handed_over_at, v.opened_at))::float8) as frt
                  from conversations v where v.business_id = @b and v.opened_at >= @from and v.opened_at < @to)
            select day, count(*)::int,
                   percentile_cont(0.5) within group (order by frt) filter (where first_human_reply_at is not null),
                   count(*) filter (where resolved_at - opened_at <= interval '24 hours' and resolution is distinct from 'abandoned')::int,
                   count(*) filter (where status = 'resolved' and first_human_reply_at is null and coalesce(bot_outcome, '') <> 'resolved')::int,
                   count(*) filter (where bot_outcome = 'resolved')::int
              from c group by day
            """, r => new DayCounts(DateOnly.FromDateTime(r.GetDateTime(0)), r.GetInt32(1), r.IsDBNull(2) ? null : Math.Round(r.GetDouble(2), 1),
                r.GetInt32(3), r.GetInt32(4), r.GetInt32(5)), ct, ("b", business), ("from", from), ("to", to), ("tz", tz))).ToDictionary(x => x.Day);
    }

    /// <summary>The week (Monday 00:00 local) holding <paramref name="weekOf"/> (default: this week) against the one before.</summary>
    public async Task<WeeklyReport> WeeklyAsync(Guid business, DateOnly? weekOf, CancellationToken ct)
    {
        var tz = await TimeZoneAsync(business, ct);
        var day = weekOf ?? LocalDate(clock.GetUtcNow(), tz);
        var monday = day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
        var (from, to, previousFrom) = (StartOfDay(monday, tz), StartOfDay(monday.AddDays(7), tz), StartOfDay(monday.AddDays(-7), tz));
        var current = await summaries.SummaryAsync(business, new ReportFilter(from, to), ct);
        var previous = await summaries.SummaryAsync(business, new ReportFilter(previousFrom, from), ct);
        var csatNow = await csat.ReportAsync(business, from, to, null, null, ct);
        var csatBefore = await csat.ReportAsync(business, previousFrom, from, null, null, ct);
        static double? D(decimal? x) => x is { } v ? (double)v : null;
        var metrics = new (string Name, double? Now, double? Before)[]
        {
            ("conversations", current.Conversations, previous.Conversations),
            ("first_response_mean_seconds", current.FirstResponse.Mean, previous.FirstResponse.Mean),
            ("first_response_median_seconds", current.FirstResponse.Median, previous.FirstResponse.Median),
            ("first_response_p90_seconds", current.FirstResponse.P90, previous.FirstResponse.P90),
            ("reply_time_median_seconds", current.ReplyTime.Median, previous.ReplyTime.Median),
            ("resolution_median_seconds", current.Resolution.Median, previous.Resolution.Median),
            ("resolution_rate", D(current.ResolutionRate), D(previous.ResolutionRate)),
            ("abandonment_rate", D(current.AbandonmentRate), D(previous.AbandonmentRate)),
            ("transfer_rate", D(current.TransferRate), D(previous.TransferRate)),
            ("bot_resolved_share", D(current.BotResolvedShare), D(previous.BotResolvedShare)),
            ("bot_hours_saved", current.BotHoursSaved, previous.BotHoursSaved),
            ("top_five_label_share", D(current.TopFiveLabelShare), D(previous.TopFiveLabelShare)),
            ("repeat_rate", D(current.RepeatRate), D(previous.RepeatRate)),
            ("converted", current.Funnel.Converted, previous.Funnel.Converted),
            ("csat", D(csatNow.Csat), D(csatBefore.Csat)),
        }.Select(m => new WeekMetric(m.Name, R(m.Now), R(m.Before), m.Now - m.Before is { } c ? R(c) : null,
            m.Before is { } b && b != 0 && m.Now is { } n ? Math.Round((n - b) / b * 100, 1) : null)).ToList();
        return new WeeklyReport(monday, from, to, metrics, current, previous);

        static double? R(double? x) => x is { } v ? Math.Round(v, 4) : null;
    }
}
