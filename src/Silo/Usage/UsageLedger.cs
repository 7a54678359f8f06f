using Engine.Grains.Interfaces.Messaging;
using Engine.Grains.Messaging;
using Engine.Silo.Database;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Engine.Silo.Usage;

public sealed record UsageLine(string Key, int Messages, int BusinessInitiated, int FreeTier, int OutOfWindow, decimal Cost);
public sealed record UsageForecast(decimal Cost, int DaysElapsed, int DaysInMonth, string Basis);
public sealed record UsageReport(
    string Month, string Currency, UsageLine Totals, IReadOnlyList<UsageLine> ByChannel, IReadOnlyList<UsageLine> ByCategory,
    IReadOnlyList<UsageLine> ByDay, UsageForecast Forecast);

/// <summary>
/// Prices each message once, when the provider accepts it, in the sender's transaction; months and
/// days are the business's (its time zone). Reports read the ledger.
/// </summary>
public sealed class UsageLedger(NpgsqlDataSource db, TimeProvider clock, IOptions<EngineOptions> options)
{
    public async Task RecordAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid messageId, DateTimeOffset now, CancellationToken ct)
    {
        var m = (await Sql.QueryAsync(conn, tx, """
            select m.business_id, m.channel_id, coalesce(m.category, 'service'), m.out_of_window, c.phone,
                   date_trunc('month', (@now::timestamptz at time zone b.time_zone))::date, (@now::timestamptz at time zone b.time_zone)::date
              from messages m join contacts c on c.id = m.contact_id join businesses b on b.id = m.business_id
             where m.id = @id and not exists (select 1 from usage_ledger l where l.message_id = m.id)
            """, r => (Business: r.GetGuid(0), Channel: r.GetGuid(1), Category: r.GetString(2), OutOfWindow: r.GetBoolean(3),
                Phone: r.IsDBNull(4) ? null : r.GetString(4), Month: r.GetFieldValue<DateOnly>(5), Day: r.GetFieldValue<DateOnly>(6)),
            ct, ("id", messageId), ("now", now))).SingleOrDefault();
        if (m.Business == Guid.Empty) return;
        var ordinal = 0;
        if (m.Category == MessageCategories.BusinessInitiated)
            ordinal = (await Sql.QueryAsync(conn, tx, """
                insert into usage_counters (business_id, month, business_initiated) values (@b, @m, 1)
                on conflict (business_id, month) do update set business_initiated = usage_counters.business_initiated + 1
                returning business_initiated
                """, r => r.GetInt32(0), ct, ("b", m.Business), ("m", m.Month)))[0];
        var priced = UsagePricing.Price(options.Value.Pricing, m.Category, m.OutOfWindow, ordinal, m.Phone);
        await Sql.ExecAsync(conn, tx, """
            insert into usage_ledger (message_id, business_id, channel_id, sent_at, month, day, category, out_of_window,
                                      country_code, region, free_tier, price, surcharge)
            values (@id, @b, @c, @now, @m, @d, @cat, @oow, @cc, @region, @free, @price, @sur)
            """, ct, ("id", messageId), ("b", m.Business), ("c", m.Channel), ("now", now), ("m", m.Month), ("d", m.Day),
            ("cat", m.Category), ("oow", m.OutOfWindow), ("cc", priced.CountryCode), ("region", priced.Region),
            ("free", priced.FreeTier), ("price", priced.Price), ("sur", priced.Surcharge));
    }

    /// <summary>Counts and cost for one month by channel, category and day, with a forecast from the daily run-rate.</summary>
    public async Task<UsageReport> ReportAsync(Guid businessId, DateOnly month, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        async Task<List<UsageLine>> Lines(string key) => await Sql.QueryAsync(conn, null, $"""
            select {key}::text, count(*)::int, count(*) filter (where category = 'business_initiated')::int,
                   count(*) filter (where free_tier)::int, count(*) filter (where out_of_window)::int, coalesce(sum(price + surcharge), 0)
              from usage_ledger where business_id = @b and month = @m group by 1 order by 1
            """, r => new UsageLine(r.GetString(0), r.GetInt32(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), r.GetDecimal(5)),
            ct, ("b", businessId), ("m", month));
        var totals = (await Lines("'total'")).SingleOrDefault() ?? new UsageLine("total", 0, 0, 0, 0, 0m);
        var byChannel = await Lines("channel_id");
        var byCategory = await Lines("category");
        var byDay = await Lines("day");
        var tz = (await Sql.QueryAsync(conn, null, "select time_zone from businesses where id = @b", r => r.GetString(0), ct, ("b", businessId))).Single();
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById(tz)).DateTime);
        return new UsageReport(month.ToString("yyyy-MM"), "USD", totals with { Key = "total" }, byChannel, byCategory, byDay,
            Forecast(totals.Cost, month, today));
    }

    /// <summary>Cost so far ÷ days elapsed × days in the month; a past month's forecast is its actual cost.</summary>
    public static UsageForecast Forecast(decimal costSoFar, DateOnly month, DateOnly today)
    {
        var days = DateTime.DaysInMonth(month.Year, month.Month);
        if (today < month) return new(0m, 0, days, "month not started");
        if (today >= month.AddMonths(1)) return new(costSoFar, days, days, "month complete: actual cost");
        var elapsed = today.DayNumber - month.DayNumber + 1;
        return new(Math.Round(costSoFar / elapsed * days, 4), elapsed, days, "daily run-rate");
    }
}
