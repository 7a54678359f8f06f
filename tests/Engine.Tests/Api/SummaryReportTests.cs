using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>The key figures on hand-built conversations whose answers are known.</summary>
public class SummaryReportTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    private static readonly DateTimeOffset T = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private async Task<Guid> ConversationAsync(int n, string status, int? firstReplySeconds, int? resolvedSeconds, int handovers = 0, string? botOutcome = null,
        int? handedOverSeconds = null, string[]? labels = null, Guid? contactId = null, int openedOffsetHours = 0, bool converted = false)
    {
        var business = await f.Db.ScalarAsync<Guid>("select id from businesses limit 1");
        var contact = contactId ?? Guid.NewGuid();
        var opened = T.AddHours(openedOffsetHours);
        var id = Guid.NewGuid();
        if (contactId is null)
            await f.Db.ExecAsync("""
                insert into contacts (id, business_id, channel_id, external_id, first_seen_at, last_seen_at, created_at, updated_at) values (@id, @b, @ch, @e, @t, @t, @t, @t)
                """, ("id", contact), ("b", business), ("ch", f.WhatsAppChannel), ("e", $"report-{n}-{Guid.NewGuid():N}"), ("t", T.AddDays(-10)));
        await f.Db.ExecAsync("""
            insert into conversations (id, business_id, channel_id, contact_id, status, opened_at, resolved_at, first_human_reply_at, handovers, bot_outcome, labels,
                                       bot_replies, handed_over_at, converted_at, created_at, updated_at)
            values (@id, @b, @ch, @c, @s, @t, @r, @fr, @h, @bo, @l, @br, @ho, @cv, @t, @t)
            """, ("id", id), ("b", business), ("ch", f.WhatsAppChannel), ("c", contact), ("s", status), ("t", opened),
            ("ho", handedOverSeconds is { } hos ? T.AddSeconds(hos) : DBNull.Value), ("cv", converted ? opened.AddHours(1) : DBNull.Value),
            ("r", resolvedSeconds is { } r ? opened.AddSeconds(r) : DBNull.Value), ("fr", firstReplySeconds is { } fr ? opened.AddSeconds(fr) : DBNull.Value),
            ("h", handovers), ("bo", (object?)botOutcome ?? DBNull.Value), ("l", labels ?? []), ("br", botOutcome == "resolved" ? 2 : 0));
        if (converted)
            await f.Db.ExecAsync("insert into entity_events (business_id, entity_type, entity_id, type, occurred_at, data) values (@b, 'conversation', @id, 'conversation.converted', @t, '{}')",
                ("b", business), ("id", id), ("t", opened.AddHours(1)));
        if (handedOverSeconds is { } ho)
            await f.Db.ExecAsync("insert into entity_events (business_id, entity_type, entity_id, type, occurred_at, data) values (@b, 'conversation', @id, 'bot.handed_over', @t, '{}')",
                ("b", business), ("id", id), ("t", T.AddSeconds(ho)));
        return id;
    }

    [Fact]
    public async Task Each_figure_follows_its_definition()
    {
        await ConversationAsync(1, "resolved", firstReplySeconds: 60, resolvedSeconds: 600, converted: true);        // human, quick, bought
        await ConversationAsync(2, "resolved", firstReplySeconds: 180, resolvedSeconds: 30 * 3600, handovers: 1);     // transferred, resolved after 24 h
        await ConversationAsync(3, "resolved", firstReplySeconds: null, resolvedSeconds: 120, botOutcome: "resolved"); // the bot alone
        await ConversationAsync(4, "resolved", firstReplySeconds: null, resolvedSeconds: 3600);                       // abandoned
        await ConversationAsync(5, "open", firstReplySeconds: 420, resolvedSeconds: null, botOutcome: "handed_over", handedOverSeconds: 300); // FRT from the hand-over
        await ConversationAsync(6, "open", firstReplySeconds: null, resolvedSeconds: null);                          // notes only: no first response

        var s = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/reports/summary?from={Uri.EscapeDataString(T.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(T.AddHours(1).ToString("O"))}");
        Assert.Equal(6, s.GetProperty("conversations").GetInt32());
        var frt = s.GetProperty("firstResponse");
        Assert.Equal(3, frt.GetProperty("count").GetInt32());
        Assert.Equal(120, frt.GetProperty("mean").GetDouble(), 3);
        Assert.Equal(120, frt.GetProperty("median").GetDouble(), 3);
        Assert.Equal(168, frt.GetProperty("p90").GetDouble(), 3);
        Assert.Equal(Math.Sqrt(2400), frt.GetProperty("stdDev").GetDouble(), 3);
        Assert.Equal((600 + 108000 + 120 + 3600) / 4.0, s.GetProperty("resolution").GetProperty("mean").GetDouble(), 3);
        Assert.Equal(0.5m, s.GetProperty("resolutionRate").GetDecimal());
        Assert.Equal(0.1667m, s.GetProperty("abandonmentRate").GetDecimal());
        Assert.Equal(0.1667m, s.GetProperty("transferRate").GetDecimal());
        Assert.Equal(0.1667m, s.GetProperty("botResolvedShare").GetDecimal());
        Assert.Equal(Math.Round((600 + 108000) / 2.0 / 3600, 2), s.GetProperty("botHoursSaved").GetDouble(), 2);
        var tiers = s.GetProperty("waitTiers").EnumerateArray().ToDictionary(t => t.GetProperty("tier").GetString()!, t => (t.GetProperty("conversations").GetInt32(), t.GetProperty("converted").GetInt32()));
        Assert.Equal((3, 1), tiers["under_5_min"]);   // 1, 2 and 5 (2 min after the hand-over); 1 converted
        Assert.Equal((0, 0), tiers["5_to_15_min"]);
        var funnel = s.GetProperty("funnel");
        Assert.Equal((6, 4, 4, 1), (funnel.GetProperty("opened").GetInt32(), funnel.GetProperty("replied").GetInt32(), funnel.GetProperty("resolved").GetInt32(), funnel.GetProperty("converted").GetInt32()));

        // Repeat rate and top-5 share, on labelled conversations in a later window: the same customer back with the same label within 7 days.
        var repeat = Guid.NewGuid();
        var business = await f.Db.ScalarAsync<Guid>("select id from businesses limit 1");
        await f.Db.ExecAsync("insert into contacts (id, business_id, channel_id, external_id, first_seen_at, last_seen_at, created_at, updated_at) values (@id, @b, @ch, 'repeat-contact', @t, @t, @t, @t)",
            ("id", repeat), ("b", business), ("ch", f.WhatsAppChannel), ("t", T));
        await ConversationAsync(7, "resolved", 60, 600, labels: ["Returns"], contactId: repeat, openedOffsetHours: 100);
        await ConversationAsync(8, "resolved", 60, 600, labels: ["Returns"], contactId: repeat, openedOffsetHours: 200);   // 4 days later, same label
        for (var i = 0; i < 6; i++) await ConversationAsync(20 + i, "resolved", 60, 600, labels: [$"Topic {i}"], openedOffsetHours: 150);
        var later = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/reports/summary?from={Uri.EscapeDataString(T.AddHours(99).ToString("O"))}&to={Uri.EscapeDataString(T.AddHours(201).ToString("O"))}");
        Assert.Equal(0.125m, later.GetProperty("repeatRate").GetDecimal());          // 1 of 8 labelled conversations
        Assert.Equal(0.75m, later.GetProperty("topFiveLabelShare").GetDecimal());    // Returns (2) + four single topics = 6 of 8

        var csv = await f.Admin.GetStringAsync($"/api/v1/reports/conversations.csv?from={Uri.EscapeDataString(T.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(T.AddHours(1).ToString("O"))}");
        var lines = csv.TrimEnd().Split('\n');
        Assert.StartsWith("conversation_id,channel,contact,status", lines[0]);
        Assert.Equal(7, lines.Length);                                             // header + the six conversations of the first window
        Assert.Contains(lines, l => l.Contains(",resolved,") && l.Contains(",60,600,") && l.EndsWith(",true"));   // conversation 1: 60 s, 600 s, converted

        var none = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/reports/summary?from={Uri.EscapeDataString(T.AddDays(1).ToString("O"))}&to={Uri.EscapeDataString(T.AddDays(2).ToString("O"))}");
        Assert.Equal(0, none.GetProperty("conversations").GetInt32());
        Assert.Equal(JsonValueKind.Null, none.GetProperty("resolutionRate").ValueKind);
    }
}
