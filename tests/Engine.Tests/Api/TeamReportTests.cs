using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Silo.Alerts;
using Engine.Silo.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>Per-agent KPIs, continuity, the hour × weekday heatmap, daily and weekly figures, and the daily alerts, on hand-built data with known answers.</summary>
public class TeamReportTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    private static readonly DateTimeOffset T = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);   // the fixture's clock: Monday 09:00 UTC

    private Task<Guid> BusinessAsync() => f.Db.ScalarAsync<Guid>("select id from businesses limit 1");

    private async Task<Guid> ContactAsync()
    {
        var id = Guid.NewGuid();
        await f.Db.ExecAsync("""
            insert into contacts (id, business_id, channel_id, external_id, first_seen_at, last_seen_at, created_at, updated_at) values (@id, @b, @ch, @e, @t, @t, @t, @t)
            """, ("id", id), ("b", await BusinessAsync()), ("ch", f.WhatsAppChannel), ("e", $"team-report-{Guid.NewGuid():N}"), ("t", T.AddDays(-30)));
        return id;
    }

    private async Task<Guid> ConversationAsync(DateTimeOffset opened, Guid? assignee, DateTimeOffset? resolved, Guid? contact = null,
        DateTimeOffset? firstReply = null, string? botOutcome = null)
    {
        var id = Guid.NewGuid();
        await f.Db.ExecAsync("""
            insert into conversations (id, business_id, channel_id, contact_id, status, assignee_id, opened_at, resolved_at, first_human_reply_at, bot_outcome,
                                       assigned_at, created_at, updated_at)
            values (@id, @b, @ch, @c, @s, @a, @o, @r, @fr, @bo, @aa, @o, @o)
            """, ("id", id), ("b", await BusinessAsync()), ("ch", f.WhatsAppChannel), ("c", contact ?? await ContactAsync()), ("s", resolved is null ? "open" : "resolved"),
            ("a", (object?)assignee ?? DBNull.Value), ("o", opened), ("r", (object?)resolved ?? DBNull.Value), ("fr", (object?)firstReply ?? DBNull.Value),
            ("bo", (object?)botOutcome ?? DBNull.Value), ("aa", assignee is null ? DBNull.Value : opened));
        return id;
    }

    private async Task EventAsync(Guid conversation, string type, DateTimeOffset at, object data) =>
        await f.Db.ExecAsync("insert into entity_events (business_id, entity_type, entity_id, type, occurred_at, data) values (@b, 'conversation', @i, @t, @a, @d::jsonb)",
            ("b", await BusinessAsync()), ("i", conversation), ("t", type), ("a", at), ("d", JsonSerializer.Serialize(data, Effects.Json)));

    private async Task RatingAsync(Guid conversation, Guid agent, int rating, DateTimeOffset at) =>
        await f.Db.ExecAsync("""
            insert into csat_requests (conversation_id, business_id, contact_id, agent_id, requested_at, rating, answered_at)
            select id, business_id, contact_id, @a, @t, @r, @t from conversations where id = @c
            """, ("c", conversation), ("a", agent), ("r", rating), ("t", at));

    private async Task<Guid> UserAsync(string name, int? baseline)
    {
        var r = await f.Admin.PostAsJsonAsync("/api/v1/users", new
        {
            email = $"{name.ToLowerInvariant()}.{Guid.NewGuid():N}@example.com", name, role = "Agent", password = "correct horse battery", dailyBaseline = baseline,
        });
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static string Q(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O"));

    [Fact]
    public async Task Agent_kpis_flags_baselines_and_continuity_follow_their_definitions()
    {
        var a = await UserAsync("Anan", baseline: 10);
        var b = await UserAsync("Busaba", baseline: null);
        var (from, to) = (T.AddDays(-2), T);   // two days up to now

        // Anan: four conversations received and resolved within the hour, two quick replies, two 5-star ratings, 16 h online.
        var x = await ContactAsync();
        var y = await ContactAsync();
        var anan = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            var c = await ConversationAsync(T.AddHours(-40 + i), a, T.AddHours(-39 + i), contact: i switch { 0 => x, 1 => y, _ => null });
            await EventAsync(c, "conversation.assigned", T.AddHours(-40 + i), new { AgentId = a });
            anan.Add(c);
        }
        await EventAsync(anan[0], "conversation.human_replied", T.AddHours(-40), new { UserId = a, First = true, ReplySeconds = 30.0 });
        await EventAsync(anan[1], "conversation.human_replied", T.AddHours(-39), new { UserId = a, First = true, ReplySeconds = 90.0 });
        await RatingAsync(anan[0], a, 5, T.AddHours(-38));
        await RatingAsync(anan[1], a, 5, T.AddHours(-38));
        await f.Db.ExecAsync("insert into presence_log (business_id, user_id, presence, started_at, ended_at) values (@b, @u, 'online', @s, @e)",
            ("b", await BusinessAsync()), ("u", a), ("s", from), ("e", from.AddHours(16)));

        // Busaba: five received; two resolved in time, one transferred away, two still open; a slow reply, a 3-star rating, online for the last 5 h.
        var busaba = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            var c = await ConversationAsync(T.AddHours(-30 + i), i == 2 ? null : b, i < 2 ? T.AddHours(-29 + i) : null);
            await EventAsync(c, "conversation.assigned", T.AddHours(-30 + i), new { AgentId = b });
            busaba.Add(c);
        }
        await EventAsync(busaba[2], "conversation.transferred", T.AddHours(-27), new { From = b, Comment = "billing" });
        await EventAsync(busaba[0], "conversation.human_replied", T.AddHours(-30), new { UserId = b, First = true, ReplySeconds = 600.0 });
        await RatingAsync(busaba[0], b, 3, T.AddHours(-28));
        await f.Db.ExecAsync("insert into presence_log (business_id, user_id, presence, started_at) values (@b, @u, 'online', @s)",
            ("b", await BusinessAsync()), ("u", b), ("s", T.AddHours(-5)));

        // Continuity: X comes back to Anan, Y comes back and gets Busaba.
        await ConversationAsync(T.AddHours(-10), a, null, contact: x);
        await ConversationAsync(T.AddHours(-10), b, null, contact: y);

        var report = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/reports/agents?from={Q(from)}&to={Q(to)}");
        var agents = report.GetProperty("agents").EnumerateArray().ToDictionary(e => e.GetProperty("agentId").GetGuid());
        var ka = agents[a];
        Assert.Equal(4, ka.GetProperty("received").GetInt32());
        Assert.Equal(60, ka.GetProperty("replySecondsMean").GetDouble());
        Assert.Equal(1m, ka.GetProperty("resolutionRate").GetDecimal());
        Assert.Equal(0m, ka.GetProperty("transferRate").GetDecimal());
        Assert.Equal(5, ka.GetProperty("rating").GetDouble());
        Assert.Equal(8, ka.GetProperty("onlineHoursPerDay").GetDouble());
        Assert.Equal(2, ka.GetProperty("handledPerDay").GetDouble());          // 4 resolved over 2 days
        Assert.Equal(0.2m, ka.GetProperty("shareOfBaseline").GetDecimal());     // 2 of a baseline of 10
        Assert.Equal(["handled_above_team_mean", "handled_below_baseline"], Flags(ka));

        var kb = agents[b];
        Assert.Equal(5, kb.GetProperty("received").GetInt32());
        Assert.Equal(0.4m, kb.GetProperty("resolutionRate").GetDecimal());
        Assert.Equal(0.2m, kb.GetProperty("transferRate").GetDecimal());
        Assert.Equal(3, kb.GetProperty("rating").GetDouble());
        Assert.Equal(2.5, kb.GetProperty("onlineHoursPerDay").GetDouble());
        Assert.Equal(1, kb.GetProperty("handledPerDay").GetDouble());
        Assert.Equal(["transfer_rate_above_15_percent", "rating_below_4", "online_below_6_5_hours", "resolution_rate_below_85_percent", "handled_below_team_mean"],
            Flags(kb));

        Assert.Equal(1.5, report.GetProperty("teamMeanHandledPerDay").GetDouble());
        var continuity = report.GetProperty("continuity");
        Assert.Equal((2, 1, 0.5m), (continuity.GetProperty("returning").GetInt32(), continuity.GetProperty("sameAgent").GetInt32(), continuity.GetProperty("rate").GetDecimal()));

        // The same report as CSV: one row per agent with flattened columns.
        var csv = await f.Admin.GetStringAsync($"/api/v1/reports/agents?from={Q(from)}&to={Q(to)}&format=csv");
        var lines = csv.TrimEnd().Split('\n');
        Assert.StartsWith("agentId,name,received,", lines[0]);
        Assert.Contains(lines, l => l.StartsWith($"{b},Busaba,5,") && l.Contains("transfer_rate_above_15_percent; rating_below_4"));
        Assert.Equal(HttpStatusCode.BadRequest, (await f.Admin.GetAsync($"/api/v1/reports/agents?format=xml")).StatusCode);

        static string[] Flags(JsonElement e) => e.GetProperty("flags").EnumerateArray().Select(x => x.GetString()!).ToArray();
    }

    [Fact]
    public async Task A_conversation_at_23_30_local_lands_on_that_local_day_and_hour_and_staffing_follows_erlang_c()
    {
        await f.Db.ExecAsync("update businesses set time_zone = 'Asia/Bangkok'");
        try
        {
            // Sunday 8 February 2026, 23:30 in Bangkok = 16:30 UTC the same day; 00:30 Monday local = 17:30 UTC Sunday.
            var weekEnd = new DateTimeOffset(2026, 2, 9, 9, 0, 0, TimeSpan.Zero);
            var lateSunday = new DateTimeOffset(2026, 2, 8, 16, 30, 0, TimeSpan.Zero);
            await ConversationAsync(lateSunday, null, null);
            await ConversationAsync(lateSunday.AddHours(1), null, null);
            // Handling time 600 s (opened → resolved, answered by a person), 14 arrivals at 10:00 local over the week (2 per day, 3 to 9 February).
            for (var d = 0; d < 7; d++)
                for (var i = 0; i < 2; i++)
                {
                    var at = new DateTimeOffset(2026, 2, 3, 3, 10 * i, 0, TimeSpan.Zero).AddDays(d);
                    await ConversationAsync(at, Guid.NewGuid(), at.AddMinutes(10), firstReply: at.AddMinutes(1));
                }

            var map = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/reports/heatmap?to={Q(weekEnd)}");
            var cells = map.GetProperty("cells").EnumerateArray().ToDictionary(c => (c.GetProperty("dayOfWeek").GetInt32(), c.GetProperty("hour").GetInt32()), c => c.GetProperty("conversations").GetInt32());
            Assert.Equal(1, cells[(0, 23)]);   // Sunday 23:00–24:00 local
            Assert.Equal(1, cells[(1, 0)]);    // Monday 00:00 local
            Assert.False(cells.ContainsKey((0, 16)));
            Assert.Equal([0, 10, 23], map.GetProperty("goldenHours").EnumerateArray().Select(h => h.GetInt32()).ToArray());
            Assert.Equal(600, map.GetProperty("handlingSeconds").GetDouble());
            var ten = map.GetProperty("staffing").EnumerateArray().Single(s => s.GetProperty("hour").GetInt32() == 10);
            Assert.Equal(2, ten.GetProperty("arrivalsPerHour").GetDouble());
            Assert.Equal(Engine.Grains.Reports.ErlangC.AgentsNeeded(2, 600, 180, 0.9), ten.GetProperty("agentsNeeded").GetInt32());
            Assert.Equal(HttpStatusCode.BadRequest, (await f.Admin.GetAsync("/api/v1/reports/heatmap?serviceLevel=1.5")).StatusCode);

            // The daily figures put the 23:30 conversation on Sunday 8 February, local.
            f.Clock.Set(new DateTimeOffset(2026, 2, 9, 3, 0, 0, TimeSpan.Zero));   // 10:00 Monday in Bangkok
            var days = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/reports/daily?days=2");
            var byDate = days.EnumerateArray().ToDictionary(d => d.GetProperty("date").GetString()!, d => d.GetProperty("conversations").GetInt32());
            Assert.Equal(3, byDate["2026-02-08"]);   // 23:30 Sunday + the two 10:00 arrivals of Sunday
            Assert.Equal(3, byDate["2026-02-09"]);   // 00:30 Monday + the two 10:00 arrivals of Monday
        }
        finally
        {
            f.Clock.Set(T);
            await f.Db.ExecAsync("update businesses set time_zone = 'UTC'");
        }
    }

    [Fact]
    public async Task Weekly_compares_with_the_week_before_and_the_daily_check_raises_and_clears_abandonment_and_csat_alerts()
    {
        // Week of Monday 5 January: two conversations, one abandoned. Week of 12 January: four, all answered.
        var agent = await UserAsync("Chai", null);
        var previous = new DateTimeOffset(2026, 1, 6, 10, 0, 0, TimeSpan.Zero);
        await ConversationAsync(previous, agent, previous.AddMinutes(30), firstReply: previous.AddMinutes(2));
        await ConversationAsync(previous, null, previous.AddHours(2));
        for (var i = 0; i < 4; i++)
        {
            var at = new DateTimeOffset(2026, 1, 13, 10, 0, 0, TimeSpan.Zero).AddHours(i);
            await ConversationAsync(at, agent, at.AddMinutes(20), firstReply: at.AddMinutes(1));
        }
        var weekly = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/reports/weekly?weekOf=2026-01-14");
        Assert.Equal("2026-01-12", weekly.GetProperty("weekOf").GetString());
        var metrics = weekly.GetProperty("metrics").EnumerateArray().ToDictionary(m => m.GetProperty("metric").GetString()!);
        Assert.Equal((4.0, 2.0, 2.0, 100.0), (metrics["conversations"].GetProperty("current").GetDouble(), metrics["conversations"].GetProperty("previous").GetDouble(),
            metrics["conversations"].GetProperty("change").GetDouble(), metrics["conversations"].GetProperty("changePercent").GetDouble()));
        Assert.Equal((0.0, 0.5), (metrics["abandonment_rate"].GetProperty("current").GetDouble(), metrics["abandonment_rate"].GetProperty("previous").GetDouble()));
        Assert.Equal((60.0, 120.0), (metrics["first_response_median_seconds"].GetProperty("current").GetDouble(), metrics["first_response_median_seconds"].GetProperty("previous").GetDouble()));
        var csv = await f.Admin.GetStringAsync("/api/v1/reports/weekly?weekOf=2026-01-14&format=csv");
        Assert.Contains("conversations,4,2,2,100", csv);

        // Abandonment above 12% on 20, 21 and 22 January; CSAT 50% in the 7 days before the 23rd.
        for (var d = 0; d < 3; d++)
        {
            var at = new DateTimeOffset(2026, 1, 20, 12, 0, 0, TimeSpan.Zero).AddDays(d);
            var c = await ConversationAsync(at, null, at.AddHours(1));
            if (d < 2) await RatingAsync(c, agent, d == 0 ? 5 : 2, at.AddHours(2));
        }
        f.Clock.Set(new DateTimeOffset(2026, 1, 22, 18, 0, 0, TimeSpan.Zero));
        try
        {
            var alerts = f.Host.Service<Alerts>();
            await alerts.EnsureDailyChecksAsync(CancellationToken.None);
            await f.Host.Service<DeadlineSweep>().RunDueAsync(CancellationToken.None);
            Assert.Empty(await OpenAlertsAsync());                                   // nothing before midnight

            f.Clock.Set(new DateTimeOffset(2026, 1, 23, 0, 0, 0, TimeSpan.Zero));
            await f.Host.Service<DeadlineSweep>().RunDueAsync(CancellationToken.None);
            Assert.Equal(["abandonment", "csat"], (await OpenAlertsAsync()).Select(a => a.GetProperty("kind").GetString()!).Order().ToArray());
            Assert.Equal(2, await f.Db.ScalarAsync<long>("select count(*) from entity_events where type = 'alert.raised'"));

            // The next midnight: the 23rd had no conversations, so the three-day run is broken and the alert clears; CSAT stays low and is not raised twice.
            f.Clock.Set(new DateTimeOffset(2026, 1, 24, 0, 0, 0, TimeSpan.Zero));
            await f.Host.Service<DeadlineSweep>().RunDueAsync(CancellationToken.None);
            Assert.Equal(["csat"], (await OpenAlertsAsync()).Select(a => a.GetProperty("kind").GetString()!).ToArray());
            Assert.Equal(1, await f.Db.ScalarAsync<long>("select count(*) from entity_events where type = 'alert.cleared'"));
            Assert.Equal(1, await f.Db.ScalarAsync<long>("select count(*) from alerts where kind = 'csat'"));
        }
        finally { f.Clock.Set(T); }

        async Task<List<JsonElement>> OpenAlertsAsync() =>
            (await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/alerts?open=true")).EnumerateArray().ToList();
    }
}
