using System.Text.Json;
using Engine.Grains.Reports;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Npgsql;

namespace Engine.Silo.Reports;

public sealed record DailyHandled(DateOnly Date, int Handled);

/// <summary>One agent's KPIs over a period, with the spec's flags.</summary>
public sealed record AgentKpis(
    Guid AgentId, string Name, int Received, int Replies, double? ReplySecondsMean, double? ReplySecondsMedian,
    decimal? ResolutionRate, decimal? TransferRate, int Ratings, double? Rating, double OnlineHoursPerDay,
    double HandledPerDay, int? DailyBaseline, decimal? ShareOfBaseline, decimal? ShareOfTeamMean,
    IReadOnlyList<DailyHandled> Daily, IReadOnlyList<string> Flags);

/// <summary>Returning contacts (a conversation resolved within 72 h before this one opened) and how many got their previous agent again.</summary>
public sealed record Continuity(int Returning, int SameAgent, decimal? Rate);

public sealed record AgentReport(DateTimeOffset From, DateTimeOffset To, double TeamMeanHandledPerDay, Continuity Continuity, IReadOnlyList<AgentKpis> Agents);

public sealed record HourCell(int DayOfWeek, int Hour, int Conversations);

/// <summary>Advice for one hour of the day: arrivals per hour (7-day mean), handling time, and the agents Erlang C needs.</summary>
public sealed record HourStaffing(int Hour, double ArrivalsPerHour, int AgentsNeeded, double? ServiceLevelWithOneFewer);

public sealed record Heatmap(
    DateTimeOffset From, DateTimeOffset To, string TimeZone, IReadOnlyList<HourCell> Cells, IReadOnlyList<int> GoldenHours,
    double? HandlingSeconds, int TargetSeconds, double ServiceLevel, IReadOnlyList<HourStaffing> Staffing);

/// <summary>
/// Reports on people and load: per-agent KPIs with flags and daily handled counts, continuity, and the
/// hour × weekday volume with golden hours and Erlang C staffing advice.
/// </summary>
public sealed class TeamReports(NpgsqlDataSource db, Rollups rollups, TimeProvider clock)
{
    private sealed record AgentRow(Guid Id, string Name, int? Baseline, int Received, int Resolved, int Moved, int Replies, double? ReplyMean, double? ReplyMedian,
        int Ratings, double? Rating, double Online, int Handled, List<DailyHandled> Daily);

    public const double MaxTransferRate = 0.15, MinRating = 4, MinOnlineHours = 6.5, MinResolutionRate = 0.85, TeamMeanBand = 0.15;

    /// <summary>
    /// Received = conversations assigned to the agent in the period. Reply speed = mean and median reply time of the agent's
    /// replies (from the first unanswered customer message). Resolution rate = received conversations the agent resolved
    /// within 24 h of opening. Transfer rate = transfers and escalations away from the agent ÷ received. Rating = mean CSAT
    /// answered in the period. Online hours per day = time in the online status ÷ days in the period. Handled = conversations
    /// the agent resolved, per local day; compared with the agent's baseline and with the mean of the agents listed (± 15%).
    /// </summary>
    public async Task<AgentReport> AgentsAsync(Guid business, DateTimeOffset from, DateTimeOffset to, Guid? team, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var end = to < now ? to : now;
        var days = Math.Max(1.0, (end - from).TotalDays);
        await using var conn = await db.OpenConnectionAsync(ct);
        var large = await rollups.UseForAsync(business, new ReportFilter(from, to), ct);
        var figures = large ? await rollups.AgentFiguresAsync(business, from, to, ct) : await ExactFiguresAsync(conn, business, from, to, ct);
        var rows = await PeopleAsync(conn, business, from, to, end, team, figures, ct);

        var perDay = rows.ToDictionary(r => r.Id, r => Math.Round(r.Handled / days, 2));
        var teamMean = perDay.Count == 0 ? 0 : Math.Round(perDay.Values.Average(), 2);
        var agents = rows.Select(r =>
        {
            var resolution = ReportPeriod.Ratio(r.Resolved, r.Received);
            var transfer = ReportPeriod.Ratio(r.Moved, r.Received);
            var online = Math.Round(r.Online / days, 2);
            var handled = perDay[r.Id];
            var ofTeam = teamMean > 0 ? Math.Round((decimal)(handled / teamMean), 4) : (decimal?)null;
            var flags = new List<string>();
            if (transfer > (decimal)MaxTransferRate) flags.Add("transfer_rate_above_15_percent");
            if (r.Rating < MinRating) flags.Add("rating_below_4");
            if (online < MinOnlineHours) flags.Add("online_below_6_5_hours");
            if (resolution < (decimal)MinResolutionRate) flags.Add("resolution_rate_below_85_percent");
            if (ofTeam < 1 - (decimal)TeamMeanBand) flags.Add("handled_below_team_mean");
            if (ofTeam > 1 + (decimal)TeamMeanBand) flags.Add("handled_above_team_mean");
            if (r.Baseline is { } bl && handled < bl) flags.Add("handled_below_baseline");
            return new AgentKpis(r.Id, r.Name, r.Received, r.Replies, Round(r.ReplyMean), Round(r.ReplyMedian), resolution, transfer,
                r.Ratings, r.Rating is { } x ? Math.Round(x, 2) : null, online, handled, r.Baseline,
                r.Baseline is { } b ? Math.Round((decimal)(handled / b), 4) : null, ofTeam, r.Daily, flags);
        }).ToList();
        return new AgentReport(from, to, teamMean,
            large ? await rollups.ContinuityAsync(business, from, to, ct) : await ContinuityAsync(conn, business, from, to, ct), agents);
    }

    /// <summary>Received, resolved within 24 h, transfers away, reply times and handled per local day, per agent, from the events and conversations themselves.</summary>
    private static async Task<IReadOnlyList<Rollups.AgentFigures>> ExactFiguresAsync(NpgsqlConnection conn, Guid business, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        await Sql.QueryAsync(conn, null, """
            with received as (
                select distinct (e.data->>'agentId')::uuid as agent, e.entity_id as conv from entity_events e
                 where e.business_id = @b and e.type = 'conversation.assigned' and e.occurred_at >= @from and e.occurred_at < @to),
            rec as (
                select r.agent, count(*)::int as n,
                       count(*) filter (where v.assignee_id = r.agent and v.resolved_at - v.opened_at <= interval '24 hours')::int as resolved
                  from received r join conversations v on v.id = r.conv group by r.agent),
            moved as (
                select (e.data->>'from')::uuid as agent, count(*)::int as n from entity_events e
                 where e.business_id = @b and e.type in ('conversation.transferred', 'conversation.escalated')
                   and e.occurred_at >= @from and e.occurred_at < @to and e.data->>'from' is not null group by 1),
            replies as (
                select (e.data->>'userId')::uuid as agent, count(*)::int as n, avg((e.data->>'replySeconds')::float8) as mean,
                       percentile_cont(0.5) within group (order by (e.data->>'replySeconds')::float8) as median
                  from entity_events e
                 where e.business_id = @b and e.type = 'conversation.human_replied' and e.occurred_at >= @from and e.occurred_at < @to
                   and e.data->>'replySeconds' is not null group by 1),
            handled as (
                select v.assignee_id as agent, (v.resolved_at at time zone b.time_zone)::date as day, count(*)::int as n
                  from conversations v join businesses b on b.id = v.business_id
                 where v.business_id = @b and v.resolved_at >= @from and v.resolved_at < @to and v.assignee_id is not null group by 1, 2),
            agents as (select agent from rec union select agent from moved union select agent from replies union select agent from handled)
            select a.agent, coalesce(rec.n, 0), coalesce(moved.n, 0), coalesce(rec.resolved, 0), coalesce(replies.n, 0), replies.mean, replies.median,
                   (select coalesce(json_agg(json_build_object('date', h.day, 'handled', h.n) order by h.day), '[]')::text from handled h where h.agent = a.agent)
              from agents a left join rec on rec.agent = a.agent left join moved on moved.agent = a.agent left join replies on replies.agent = a.agent
             where a.agent is not null
            """, r => new Rollups.AgentFigures(r.GetGuid(0), r.GetInt32(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4),
                r.IsDBNull(5) ? null : r.GetDouble(5), r.IsDBNull(6) ? null : r.GetDouble(6),
                JsonSerializer.Deserialize<List<DailyHandled>>(r.GetString(7), Effects.Json)!), ct, ("b", business), ("from", from), ("to", to));

    /// <summary>The people listed (everyone but Analysts, optionally one team's members) with their ratings and online time, joined to their figures.</summary>
    private static async Task<List<AgentRow>> PeopleAsync(NpgsqlConnection conn, Guid business, DateTimeOffset from, DateTimeOffset to, DateTimeOffset end,
        Guid? team, IReadOnlyList<Rollups.AgentFigures> figures, CancellationToken ct)
    {
        var byAgent = figures.ToDictionary(x => x.AgentId);
        var people = await Sql.QueryAsync(conn, null, """
            with ratings as (
                select agent_id, count(*)::int as n, avg(rating)::float8 as mean from csat_requests
                 where business_id = @b and answered_at >= @from and answered_at < @to and agent_id is not null group by agent_id),
            online as (
                select user_id, sum(extract(epoch from least(coalesce(ended_at, @end), @end) - greatest(started_at, @from)))::float8 / 3600 as hours
                  from presence_log where business_id = @b and presence = 'online' and started_at < @end and coalesce(ended_at, @end) > @from group by user_id)
            select u.id, u.name, u.daily_baseline, coalesce(ratings.n, 0), ratings.mean, coalesce(online.hours, 0)
              from users u left join ratings on ratings.agent_id = u.id left join online on online.user_id = u.id
             where u.business_id = @b and u.role <> 'Analyst' and u.disabled_at is null
               and (@team::uuid is null or exists (select 1 from team_members m where m.user_id = u.id and m.team_id = @team))
             order by u.name, u.id
            """, r => (Id: r.GetGuid(0), Name: r.GetString(1), Baseline: r.IsDBNull(2) ? (int?)null : r.GetInt32(2), Ratings: r.GetInt32(3),
                Rating: r.IsDBNull(4) ? (double?)null : r.GetDouble(4), Online: r.GetDouble(5)), ct,
            ("b", business), ("from", from), ("to", to), ("end", end), ("team", (object?)team ?? DBNull.Value));
        return people.Select(p =>
        {
            var f = byAgent.GetValueOrDefault(p.Id);
            return new AgentRow(p.Id, p.Name, p.Baseline, f?.Received ?? 0, f?.ResolvedWithin24h ?? 0, f?.Moved ?? 0, f?.Replies ?? 0, f?.ReplyMean, f?.ReplyMedian,
                p.Ratings, p.Rating, p.Online, f?.Daily.Sum(d => d.Handled) ?? 0, f?.Daily.ToList() ?? []);
        }).ToList();
    }

    private static async Task<Continuity> ContinuityAsync(NpgsqlConnection conn, Guid business, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        (await Sql.QueryAsync(conn, null, """
            with back as (
                select v.assignee_id as now_agent,
                       (select o.assignee_id from conversations o
                         where o.contact_id = v.contact_id and o.id <> v.id and o.assignee_id is not null
                           and o.resolved_at <= v.opened_at and o.resolved_at > v.opened_at - interval '72 hours'
                         order by o.resolved_at desc limit 1) as previous_agent
                  from conversations v
                 where v.business_id = @b and v.opened_at >= @from and v.opened_at < @to)
            select count(*)::int, count(*) filter (where now_agent = previous_agent)::int from back where previous_agent is not null
            """, r => new Continuity(r.GetInt32(0), r.GetInt32(1), ReportPeriod.Ratio(r.GetInt32(1), r.GetInt32(0))), ct,
            ("b", business), ("from", from), ("to", to))).Single();

    /// <summary>
    /// Conversations opened in the last 7 days by local weekday (0 = Sunday) and hour; the 3 busiest hours of the day;
    /// and per hour the agents needed so that <paramref name="serviceLevel"/> of conversations get a first reply within
    /// <paramref name="targetSeconds"/>: Erlang C with the hour's mean arrivals per day and the measured handling time
    /// (mean opened → resolved of the conversations people answered in the same 7 days).
    /// </summary>
    public async Task<Heatmap> HeatmapAsync(Guid business, DateTimeOffset to, int targetSeconds, double serviceLevel, CancellationToken ct)
    {
        var from = to.AddDays(-7);
        await using var conn = await db.OpenConnectionAsync(ct);
        var tz = (await Team.BusinessSettings.GetAsync(conn, null, business, ct))!.TimeZone;
        // Large weeks in whole-hour zones read the hourly rollups; otherwise the conversations themselves.
        var zone = TimeZoneInfo.FindSystemTimeZoneById(tz);
        var wholeHours = zone.GetUtcOffset(from).Minutes == 0 && zone.GetUtcOffset(to).Minutes == 0;
        List<HourCell> cells;
        double? handling;
        if (wholeHours && await rollups.UseForAsync(business, new ReportFilter(from, to), ct))
            (cells, handling) = await rollups.WeekByHourAsync(business, tz, from, to, ct);
        else
        {
            cells = await Sql.QueryAsync(conn, null, """
                select extract(dow from opened_at at time zone @tz)::int, extract(hour from opened_at at time zone @tz)::int, count(*)::int
                  from conversations where business_id = @b and opened_at >= @from and opened_at < @to group by 1, 2 order by 1, 2
                """, r => new HourCell(r.GetInt32(0), r.GetInt32(1), r.GetInt32(2)), ct, ("b", business), ("from", from), ("to", to), ("tz", tz));
            handling = (await Sql.QueryAsync(conn, null, """
                select avg(extract(epoch from resolved_at - opened_at))::float8 from conversations
                 where business_id = @b and opened_at >= @from and opened_at < @to and first_human_reply_at is not null and resolved_at is not null
                """, r => r.IsDBNull(0) ? (double?)null : r.GetDouble(0), ct, ("b", business), ("from", from), ("to", to))).Single();
        }

        var byHour = Enumerable.Range(0, 24).Select(h => (Hour: h, Total: cells.Where(c => c.Hour == h).Sum(c => c.Conversations))).ToList();
        var golden = byHour.Where(h => h.Total > 0).OrderByDescending(h => h.Total).ThenBy(h => h.Hour).Take(3).Select(h => h.Hour).OrderBy(h => h).ToList();
        var staffing = byHour.Select(h =>
        {
            var perHour = h.Total / 7.0;
            var needed = handling is { } aht ? ErlangC.AgentsNeeded(perHour, aht, targetSeconds, serviceLevel) : 0;
            double? fewer = handling is { } a && needed > 1
                ? Math.Round(ErlangC.ServiceLevel(needed - 1, perHour / 3600 * a, a, targetSeconds), 4) : null;
            return new HourStaffing(h.Hour, Math.Round(perHour, 2), needed, fewer);
        }).ToList();
        return new Heatmap(from, to, tz, cells, golden, handling is { } s ? Math.Round(s, 1) : null, targetSeconds, serviceLevel, staffing);
    }

    private static double? Round(double? x) => x is { } v ? Math.Round(v, 1) : null;
}
