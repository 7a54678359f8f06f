using System.Net.Http.Json;
using System.Text.Json;
using Engine.Silo.Reports;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>An engine that answers every report from the hourly rollups (ReportExactLimit 0).</summary>
public sealed class RollupFixture : EngineFixture
{
    public RollupFixture() => Settings["Engine:ReportExactLimit"] = "0";
}

/// <summary>The rollups agree with the figures computed from the conversations, before and after folding, as conversations change.</summary>
public class RollupReportTests(RollupFixture f) : IClassFixture<RollupFixture>
{
    private static readonly DateTimeOffset T = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Rollups_kept_by_the_trigger_give_the_exact_counts_rates_means_and_bucketed_percentiles()
    {
        var business = await f.Db.ScalarAsync<Guid>("select id from businesses limit 1");
        var agent = Guid.NewGuid();
        await f.Db.ExecAsync("insert into users (id, business_id, email, name, role, password_hash, created_at, updated_at) values (@id, @b, @e, 'R', 'Agent', 'x', @t, @t)",
            ("id", agent), ("b", business), ("e", $"r.{Guid.NewGuid():N}@example.com"), ("t", T));
        var ids = new List<Guid>();
        var random = new Random(7);
        for (var i = 0; i < 60; i++)
        {
            var contact = Guid.NewGuid();
            await f.Db.ExecAsync("insert into contacts (id, business_id, channel_id, external_id, language, first_seen_at, last_seen_at, created_at, updated_at) values (@id, @b, @ch, @e, @l, @t, @t, @t, @t)",
                ("id", contact), ("b", business), ("ch", f.WhatsAppChannel), ("e", $"rollup-{i}-{Guid.NewGuid():N}"), ("l", i % 3 == 0 ? "th" : "en"), ("t", T));
            var opened = T.AddMinutes(i * 7);
            var id = Guid.NewGuid();
            ids.Add(id);
            var replied = i % 5 != 0;
            await f.Db.ExecAsync("""
                insert into conversations (id, business_id, channel_id, contact_id, status, assignee_id, opened_at, resolved_at, first_human_reply_at, bot_outcome,
                                           handovers, labels, converted_at, created_at, updated_at)
                values (@id, @b, @ch, @c, @s, @a, @o, @r, @fr, @bo, @h, @l, @cv, @o, @o)
                """, ("id", id), ("b", business), ("ch", f.WhatsAppChannel), ("c", contact), ("s", i % 4 == 0 ? "open" : "resolved"),
                ("a", i % 2 == 0 ? agent : DBNull.Value), ("o", opened), ("r", i % 4 == 0 ? DBNull.Value : opened.AddSeconds(random.Next(60, 40_000))),
                ("fr", replied ? opened.AddSeconds(random.Next(5, 2_000)) : DBNull.Value), ("bo", i % 10 == 0 ? "resolved" : DBNull.Value),
                ("h", i % 6 == 0 ? 1 : 0), ("l", new[] { $"Topic {i % 7}" }), ("cv", i % 9 == 0 ? opened.AddHours(1) : DBNull.Value));
        }
        // Later changes go through the update trigger: some open ones are resolved, one is transferred, one gets its first reply.
        await f.Db.ExecAsync("update conversations set status = 'resolved', resolved_at = opened_at + interval '2 hours' where id = any(@ids) and status = 'open'", ("ids", ids.Take(20).ToArray()));
        await f.Db.ExecAsync("update conversations set handovers = 2, assignee_id = @a where id = @id", ("a", agent), ("id", ids[1]));
        await f.Db.ExecAsync("update conversations set first_human_reply_at = opened_at + interval '30 seconds' where id = @id", ("id", ids[5]));

        var filters = new[]
        {
            new ReportFilter(T.AddHours(-1), T.AddDays(1)), new ReportFilter(T.AddHours(-1), T.AddDays(1), AgentId: agent),
            new ReportFilter(T.AddHours(-1), T.AddDays(1), Language: "th"), new ReportFilter(T.AddHours(-1), T.AddDays(1), ChannelId: f.WhatsAppChannel),
        };
        var report = f.Host.Service<ConversationReport>();
        var rollups = f.Host.Service<Rollups>();
        foreach (var folded in new[] { false, true })
        {
            if (folded) while (await rollups.FoldAsync(CancellationToken.None) > 0) { }
            foreach (var filter in filters)
            {
                Assert.True(await rollups.UseForAsync(business, filter, CancellationToken.None));
                var exact = await report.ExactAsync(business, filter, CancellationToken.None);
                var rolled = await report.SummaryAsync(business, filter, CancellationToken.None);
                Assert.Equal(exact.Conversations, rolled.Conversations);
                Assert.Equal((exact.ResolutionRate, exact.AbandonmentRate, exact.TransferRate, exact.BotResolvedShare),
                    (rolled.ResolutionRate, rolled.AbandonmentRate, rolled.TransferRate, rolled.BotResolvedShare));
                Assert.Equal(exact.Funnel, rolled.Funnel);
                Assert.Equal(exact.WaitTiers, rolled.WaitTiers);
                Assert.Equal(exact.RepeatRate, rolled.RepeatRate);
                Assert.Equal(exact.BotHoursSaved, rolled.BotHoursSaved, 1);
                foreach (var (e, r) in new[] { (exact.FirstResponse, rolled.FirstResponse), (exact.Resolution, rolled.Resolution) })
                {
                    Assert.Equal(e.Count, r.Count);
                    Assert.Equal(e.Mean!.Value, r.Mean!.Value, 2);
                    Assert.Equal(e.StdDev!.Value, r.StdDev!.Value, 1);
                    // Percentiles land in the same histogram bucket: within its width (a third of the value at most).
                    Assert.InRange(r.Median!.Value, e.Median!.Value * 0.66 - 5, e.Median!.Value * 1.5 + 5);
                    Assert.InRange(r.P90!.Value, e.P90!.Value * 0.66 - 5, e.P90!.Value * 1.5 + 5);
                }
            }
        }
        // Per agent: assignments received, transfers away and reply times come from the events' rollups.
        async Task Event(Guid conversation, string type, object data) =>
            await f.Db.ExecAsync("insert into entity_events (business_id, entity_type, entity_id, type, occurred_at, data) values (@b, 'conversation', @i, @t, @a, @d::jsonb)",
                ("b", business), ("i", conversation), ("t", type), ("a", T.AddMinutes(30)), ("d", JsonSerializer.Serialize(data, Engine.Silo.Runtime.Effects.Json)));
        foreach (var id in ids.Take(4)) await Event(id, "conversation.assigned", new { AgentId = agent });
        await Event(ids[0], "conversation.transferred", new { From = agent, Comment = "x" });
        await Event(ids[0], "conversation.human_replied", new { UserId = agent, First = true, ReplySeconds = 40.0 });
        await Event(ids[1], "conversation.human_replied", new { UserId = agent, First = true, ReplySeconds = 80.0 });
        var agents = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/reports/agents?from={Uri.EscapeDataString(T.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(T.AddDays(1).ToString("O"))}");
        var row = agents.GetProperty("agents").EnumerateArray().Single(a => a.GetProperty("agentId").GetGuid() == agent);
        Assert.Equal(4, row.GetProperty("received").GetInt32());
        Assert.Equal(0.25m, row.GetProperty("transferRate").GetDecimal());
        Assert.Equal(2, row.GetProperty("replies").GetInt32());
        Assert.Equal(60, row.GetProperty("replySecondsMean").GetDouble());
        var exactReplies = (await f.Host.Service<ConversationReport>().ExactAsync(business, filters[0], CancellationToken.None)).ReplyTime;
        var rolledReplies = (await f.Host.Service<ConversationReport>().SummaryAsync(business, filters[0], CancellationToken.None)).ReplyTime;
        Assert.Equal((2, 60.0), (exactReplies.Count, exactReplies.Mean!.Value));
        Assert.Equal((exactReplies.Count, exactReplies.Mean), (rolledReplies.Count, rolledReplies.Mean));
        var continuityExact = await f.Db.ScalarAsync<long>("""
            select count(*) from conversations v where v.business_id = @b and exists (select 1 from conversations o where o.contact_id = v.contact_id and o.id <> v.id
               and o.assignee_id is not null and o.resolved_at <= v.opened_at and o.resolved_at > v.opened_at - interval '72 hours')
            """, ("b", business));
        Assert.Equal(continuityExact, agents.GetProperty("continuity").GetProperty("returning").GetInt32());

        // The week by hour from the rollups: every conversation counted once, handling time as computed from the rows.
        var map = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/reports/heatmap?to={Uri.EscapeDataString(T.AddDays(1).ToString("O"))}");
        Assert.Equal(60, map.GetProperty("cells").EnumerateArray().Sum(c => c.GetProperty("conversations").GetInt32()));
        var handling = await f.Db.ScalarAsync<double>("select avg(extract(epoch from resolved_at - opened_at))::float8 from conversations where first_human_reply_at is not null and resolved_at is not null");
        Assert.Equal(Math.Round(handling, 1), map.GetProperty("handlingSeconds").GetDouble(), 1);

        // Label usage and messages sent per person, from the rollups.
        await f.Db.ExecAsync("insert into labels (id, business_id, name, path, created_at, updated_at) values (@id, @b, 'Topic 1', 'Topic 1', @t, @t)",
            ("id", Guid.NewGuid()), ("b", business), ("t", T));
        var usage = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/labels/usage?from={Uri.EscapeDataString(T.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(T.AddDays(1).ToString("O"))}");
        Assert.Equal(60, usage.GetProperty("conversations").GetInt32());
        Assert.Equal(9, usage.GetProperty("labels").EnumerateArray().Single(l => l.GetProperty("path").GetString() == "Topic 1").GetProperty("conversations").GetInt32());
        await f.Db.ExecAsync("""
            insert into messages (id, business_id, conversation_id, channel_id, contact_id, direction, type, text, content, sent_at, author_id, created_at, updated_at)
            select gen_random_uuid(), business_id, id, channel_id, contact_id, 'out', 'text', 'hi', '{}', opened_at, @a, opened_at, opened_at from conversations where id = any(@ids)
            """, ("a", agent.ToString()), ("ids", ids.Take(3).ToArray()));
        var sent = await f.Host.Service<Rollups>().SentByAgentAsync(business, T.AddHours(-1), T.AddDays(1), CancellationToken.None);
        Assert.Equal(3, sent[agent.ToString()]);

        // Through the API too (the rollup path answers it here).
        var api = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/reports/summary?from={Uri.EscapeDataString(T.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(T.AddDays(1).ToString("O"))}");
        Assert.Equal(60, api.GetProperty("conversations").GetInt32());
    }

    [Fact]
    public void Percentiles_interpolate_inside_their_bucket()
    {
        // 10 values in bucket 1 ([0, 5)) and 10 in bucket 9 ([90, 120)): the median is the top of bucket 1, p90 is 4/5 into bucket 9.
        var buckets = new Dictionary<int, long> { [1] = 10, [9] = 10 };
        Assert.Equal(5, Rollups.Percentile(buckets, 0.5));
        Assert.Equal(114, Rollups.Percentile(buckets, 0.9));
        Assert.Null(Rollups.Percentile(new Dictionary<int, long>(), 0.5));
    }
}
