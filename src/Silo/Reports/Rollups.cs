using Engine.Silo.Database;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Engine.Silo.Reports;

/// <summary>
/// Hourly rollups of conversation figures, kept current by a statement trigger on <c>conversations</c> (every change adds
/// its contribution as a delta in the same transaction) and folded by a worker. Large periods are answered from them:
/// counts and rates are exact; means and standard deviations are exact; medians and p90 are interpolated inside
/// histogram buckets (5 s wide at first, growing with the duration); periods are whole hours of opening.
/// </summary>
public sealed class Rollups(NpgsqlDataSource db, IOptions<EngineOptions> options)
{
    // Bucket upper bounds, as in report_bucket(); the last bucket is open-ended.
    private static readonly double[] Edges =
        [5, 10, 15, 20, 30, 45, 60, 90, 120, 150, 180, 240, 300, 420, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800, 14400, 21600, 28800, 43200, 86400, 172800, 604800];

    private const string Counters = """
        conversations, replied, resolved, resolved_24h, abandoned, transferred, bot_resolved, converted, frt_n, frt_sum, frt_sumsq, res_n, res_sum, res_sumsq,
        human_res_n, human_res_sum, wait_lt5, wait_5_15, wait_gt15, conv_lt5, conv_5_15, conv_gt15, labelled, repeated, returned, continued,
        received, moved, reply_n, reply_sum, reply_sumsq, sent
        """;

    private static string Sums(string prefix = "") => string.Join(", ", Counters.Split(',').Select(c => $"sum({prefix}{c.Trim()})"));

    /// <summary>Folds pending deltas into the rollups (a batch at a time); returns how many delta rows were folded.</summary>
    public async Task<int> FoldAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var counters = Counters.Split(',').Select(c => c.Trim()).ToArray();
        var folded = await Sql.ExecAsync(conn, tx, $"""
            with d as (
                delete from report_rollup_delta where id in (select id from report_rollup_delta order by id limit 20000 for update skip locked)
                returning *)
            insert into report_rollup (business_id, hour, dim, value, {Counters})
            select business_id, hour, dim, value, {Sums()} from d group by 1, 2, 3, 4 order by 1, 3, 4, 2
            on conflict (business_id, dim, value, hour) do update set {string.Join(", ", counters.Select(c => $"{c} = report_rollup.{c} + excluded.{c}"))}
            """, ct);
        folded += await Sql.ExecAsync(conn, tx, """
            with d as (
                delete from report_hist_delta where id in (select id from report_hist_delta order by id limit 20000 for update skip locked)
                returning *)
            insert into report_hist (business_id, hour, dim, value, metric, bucket, n)
            select business_id, hour, dim, value, metric, bucket, sum(n) from d group by 1, 2, 3, 4, 5, 6 order by 1, 3, 4, 5, 2, 6
            on conflict (business_id, dim, value, metric, hour, bucket) do update set n = report_hist.n + excluded.n
            """, ct);
        await tx.CommitAsync(ct);
        return folded;
    }

    /// <summary>The rollup family that answers a filter: none or one of channel, team, agent, language, label; null for combinations.</summary>
    public static (string Dim, string Value)? Family(ReportFilter f)
    {
        var given = new List<(string, string)>();
        if (f.ChannelId is { } c) given.Add(("channel", c.ToString()));
        if (f.TeamId is { } t) given.Add(("team", t.ToString()));
        if (f.AgentId is { } a) given.Add(("agent", a.ToString()));
        if (f.Language is { } l) given.Add(("language", l));
        if (f.Label is { } lb) given.Add(("label", lb));
        return given.Count switch { 0 => ("all", ""), 1 => given[0], _ => null };
    }

    /// <summary>Whether a period is large enough to be answered from rollups (more conversations than Engine:ReportExactLimit).</summary>
    public async Task<bool> UseForAsync(Guid business, ReportFilter f, CancellationToken ct)
    {
        if (Family(f) is null) return false;
        await using var conn = await db.OpenConnectionAsync(ct);
        var n = (await Sql.QueryAsync(conn, null, """
            select coalesce(sum(conversations), 0)::bigint
              from report_rollup_current
             where business_id = @b and dim = 'all' and value = '' and hour >= date_trunc('hour', @f) and hour < @t
            """, r => r.GetInt64(0), ct, ("b", business), ("f", f.From), ("t", f.To))).Single();
        return n > options.Value.ReportExactLimit;
    }

    public async Task<ConversationSummary> SummaryAsync(Guid business, ReportFilter f, CancellationToken ct)
    {
        var (dim, value) = Family(f) ?? throw new InvalidOperationException("This filter has no rollup.");
        await using var conn = await db.OpenConnectionAsync(ct);
        var ps = new (string, object?)[] { ("b", business), ("f", f.From), ("t", f.To), ("dim", dim), ("v", value) };
        var c = (await Sql.QueryAsync(conn, null, $"""
            select {Sums()}
              from report_rollup_current
             where business_id = @b and dim = @dim and value = @v and hour >= date_trunc('hour', @f) and hour < @t
            """, r => Enumerable.Range(0, 32).Select(i => r.IsDBNull(i) ? 0.0 : Convert.ToDouble(r.GetValue(i))).ToArray(), ct, ps)).Single();
        var hist = await Sql.QueryAsync(conn, null, """
            select metric, bucket, sum(n)::bigint
              from report_hist_current
             where business_id = @b and dim = @dim and value = @v and hour >= date_trunc('hour', @f) and hour < @t
             group by 1, 2
            """, r => (Metric: r.GetString(0), Bucket: (int)r.GetInt16(1), N: r.GetInt64(2)), ct, ps);
        decimal? topFive = null;
        if (dim == "all")
            topFive = (await Sql.QueryAsync(conn, null, """
                with l as (
                    select value, sum(conversations) as n
                      from report_rollup_current
                     where business_id = @b and dim = 'label' and hour >= date_trunc('hour', @f) and hour < @t
                     group by value)
                select coalesce((select sum(n) from (select n from l order by n desc, value limit 5) t), 0)::bigint
                """, r => r.GetInt64(0), ct, ("b", business), ("f", f.From), ("t", f.To))).Select(top => c[22] == 0 ? (decimal?)null : Math.Min(1m, Math.Round((decimal)(top / c[22]), 4))).Single();

        var total = (int)c[0];
        decimal? Rate(double part) => ReportPeriod.Ratio((int)part, total);
        decimal? Of(double part, double whole) => ReportPeriod.Ratio((int)part, (int)whole);
        DurationStats Stats(string metric, double n, double sum, double sumsq)
        {
            if (n == 0) return new DurationStats(0, null, null, null, null);
            var mean = sum / n;
            var buckets = hist.Where(h => h.Metric == metric).ToDictionary(h => h.Bucket, h => h.N);
            return new DurationStats((int)n, Math.Round(mean, 3), Percentile(buckets, 0.5), Percentile(buckets, 0.9), Math.Round(Math.Sqrt(Math.Max(0, sumsq / n - mean * mean)), 3));
        }
        WaitTier Tier(string name, double n, double converted) => new(name, (int)n, (int)converted, Of(converted, n));
        var humanMean = c[14] == 0 ? 0 : c[15] / c[14];
        return new ConversationSummary(f, total, Stats("frt", c[8], c[9], c[10]), Stats("res", c[11], c[12], c[13]),
            Rate(c[3]), Rate(c[4]), Rate(c[5]), Rate(c[6]), Math.Round(c[6] * humanMean / 3600, 2),
            [Tier("under_5_min", c[16], c[19]), Tier("5_to_15_min", c[17], c[20]), Tier("over_15_min", c[18], c[21])],
            new Funnel(total, (int)c[1], (int)c[2], (int)c[7]), topFive, Of(c[23], c[22]),
            Stats("reply", c[28], c[29], c[30]));
    }

    /// <summary>Conversation counts and the first-response median per local day, from the rollups (hours grouped into the zone's days).</summary>
    public async Task<Dictionary<DateOnly, DayCounts>> DailyAsync(Guid business, string timeZone, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var ps = new (string, object?)[] { ("b", business), ("f", from), ("t", to), ("tz", timeZone) };
        var frt = (await Sql.QueryAsync(conn, null, """
            select (hour at time zone @tz)::date, bucket, sum(n)::bigint
              from report_hist_current
             where business_id = @b and dim = 'all' and value = '' and metric = 'frt' and hour >= @f and hour < @t
             group by 1, 2
            """, r => (Day: DateOnly.FromDateTime(r.GetDateTime(0)), Bucket: (int)r.GetInt16(1), N: r.GetInt64(2)), ct, ps))
            .GroupBy(x => x.Day).ToDictionary(g => g.Key, g => (IReadOnlyDictionary<int, long>)g.ToDictionary(x => x.Bucket, x => x.N));
        return (await Sql.QueryAsync(conn, null, """
            select (hour at time zone @tz)::date, sum(conversations)::int, sum(resolved_24h)::int, sum(abandoned)::int, sum(bot_resolved)::int
              from report_rollup_current
             where business_id = @b and dim = 'all' and value = '' and hour >= @f and hour < @t
             group by 1
            """, r => (Day: DateOnly.FromDateTime(r.GetDateTime(0)), N: r.GetInt32(1), Within24h: r.GetInt32(2), Abandoned: r.GetInt32(3), Bot: r.GetInt32(4)), ct, ps))
            .ToDictionary(x => x.Day, x => new DayCounts(x.Day, x.N, frt.TryGetValue(x.Day, out var h) ? Percentile(h, 0.5) : null, x.Within24h, x.Abandoned, x.Bot));
    }

    public sealed record AgentFigures(Guid AgentId, int Received, int Moved, int ResolvedWithin24h, int Replies, double? ReplyMean, double? ReplyMedian,
        IReadOnlyList<DailyHandled> Daily);

    /// <summary>Per agent over whole hours of the period: the agent family of the rollups (reply speed as the mean; the median is left out at this scale).</summary>
    public async Task<IReadOnlyList<AgentFigures>> AgentFiguresAsync(Guid business, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var ps = new (string, object?)[] { ("b", business), ("f", from), ("t", to) };
        var rows = await Sql.QueryAsync(conn, null, """
            select x.value, (x.hour at time zone b.time_zone)::date, sum(x.received)::bigint, sum(x.moved)::bigint,
                   sum(x.resolved_24h)::bigint, sum(x.resolved)::bigint, sum(x.reply_n)::bigint, sum(x.reply_sum)
              from report_rollup_current x join businesses b on b.id = x.business_id
             where x.business_id = @b and x.dim = 'agent' and x.hour >= date_trunc('hour', @f) and x.hour < @t
             group by 1, 2
            """, r => (Agent: Guid.Parse(r.GetString(0)), Day: DateOnly.FromDateTime(r.GetDateTime(1)), Received: r.GetInt64(2), Moved: r.GetInt64(3),
                Within24h: r.GetInt64(4), Resolved: r.GetInt64(5), Replies: r.GetInt64(6), ReplySum: r.GetDouble(7)), ct, ps);
        return rows.GroupBy(r => r.Agent).Select(g =>
        {
            var replies = g.Sum(x => x.Replies);
            return new AgentFigures(g.Key, (int)g.Sum(x => x.Received), (int)g.Sum(x => x.Moved), (int)g.Sum(x => x.Within24h),
                (int)replies, replies == 0 ? null : g.Sum(x => x.ReplySum) / replies, null,
                g.Where(x => x.Resolved > 0).OrderBy(x => x.Day).Select(x => new DailyHandled(x.Day, (int)x.Resolved)).ToList());
        }).ToList();
    }

    /// <summary>Continuity over whole hours of the period, from the conversations' facts.</summary>
    public async Task<Continuity> ContinuityAsync(Guid business, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, """
            select coalesce(sum(returned), 0)::int, coalesce(sum(continued), 0)::int
              from report_rollup_current
             where business_id = @b and dim = 'all' and value = '' and hour >= date_trunc('hour', @f) and hour < @t
            """, r => new Continuity(r.GetInt32(0), r.GetInt32(1), ReportPeriod.Ratio(r.GetInt32(1), r.GetInt32(0))), ct, ("b", business), ("f", from), ("t", to))).Single();
    }

    /// <summary>Conversations by local weekday and hour (whole-hour zones), and the mean opened → resolved of human-handled ones.</summary>
    public async Task<(List<HourCell> Cells, double? Handling)> WeekByHourAsync(Guid business, string timeZone, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await Sql.QueryAsync(conn, null, """
            select extract(dow from hour at time zone @tz)::int, extract(hour from hour at time zone @tz)::int, sum(conversations)::bigint,
                   sum(human_res_n)::bigint, sum(human_res_sum)
              from report_rollup_current where business_id = @b and dim = 'all' and value = '' and hour >= date_trunc('hour', @f) and hour < @t
             group by 1, 2 order by 1, 2
            """, r => (Cell: new HourCell(r.GetInt32(0), r.GetInt32(1), (int)r.GetInt64(2)), N: r.GetInt64(3), Sum: r.GetDouble(4)), ct,
            ("b", business), ("f", from), ("t", to), ("tz", timeZone));
        var n = rows.Sum(x => x.N);
        return (rows.Where(x => x.Cell.Conversations > 0).Select(x => x.Cell).ToList(), n == 0 ? null : rows.Sum(x => x.Sum) / n);
    }

    /// <summary>Conversations opened in whole hours of the period, and per label (by path) the conversations carrying it.</summary>
    public async Task<(long Total, Dictionary<string, long> ByLabel)> LabelCountsAsync(Guid business, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await Sql.QueryAsync(conn, null, """
            select dim, value, sum(conversations)::bigint
              from report_rollup_current
             where business_id = @b and dim in ('all', 'label') and hour >= date_trunc('hour', @f) and hour < @t
             group by 1, 2
            """, r => (Dim: r.GetString(0), Value: r.GetString(1), N: r.GetInt64(2)), ct, ("b", business), ("f", from), ("t", to));
        return (rows.Where(r => r.Dim == "all").Sum(r => r.N), rows.Where(r => r.Dim == "label").ToDictionary(r => r.Value, r => r.N));
    }

    /// <summary>Messages each person sent in whole hours of the period (by user id).</summary>
    public async Task<Dictionary<string, long>> SentByAgentAsync(Guid business, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, """
            select value, sum(sent)::bigint
              from report_rollup_current
             where business_id = @b and dim = 'agent' and hour >= date_trunc('hour', @f) and hour < @t
             group by 1 having sum(sent) > 0
            """, r => (Agent: r.GetString(0), N: r.GetInt64(1)), ct, ("b", business), ("f", from), ("t", to))).ToDictionary(x => x.Agent, x => x.N);
    }

    /// <summary>The p-quantile of a bucketed distribution, interpolated linearly inside its bucket.</summary>
    public static double? Percentile(IReadOnlyDictionary<int, long> buckets, double p)
    {
        var total = buckets.Values.Sum();
        if (total <= 0) return null;
        var rank = p * total;
        long seen = 0;
        for (var b = 1; b <= Edges.Length + 1; b++)
        {
            if (!buckets.TryGetValue(b, out var n) || n <= 0) continue;
            if (seen + n >= rank)
            {
                var lo = b == 1 ? 0 : Edges[b - 2];
                var hi = b <= Edges.Length ? Edges[b - 1] : Edges[^1] * 2;
                return Math.Round(lo + (hi - lo) * Math.Clamp((rank - seen) / n, 0, 1), 1);
            }
            seen += n;
        }
        return null;
    }
}
