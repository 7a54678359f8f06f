using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>
/// The summary report on traffic built by hand through the API over a day and a night of the fake clock: one
/// conversation resolved by the bot, one abandoned, one gone inactive after the agent's answer, and one opened after
/// hours — each figure as its definition says.
/// </summary>
public class LifecycleReportTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private static string NewPhone() => "6695" + Random.Shared.NextInt64(1_000_000, 9_999_999);

    private async Task<string?> ResolutionOf(Guid conversation) =>
        (await TeamFixture.ConversationAsync(f, conversation)).GetProperty("resolution").GetString();

    private async Task Writes(string phone, string text) =>
        (await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), text))).EnsureSuccessStatusCode();

    private Task<Guid> Open(string phone) => f.Db.ScalarAsync<Guid>(
        "select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p order by v.opened_at desc limit 1",
        ("p", phone));

    [Fact]
    public async Task Bot_resolved_abandoned_inactive_and_after_hours_traffic_gives_the_figures_of_the_definitions()
    {
        var start = f.Clock.GetUtcNow();   // Monday 09:00 UTC; the business is open 08:00–22:00 UTC
        (await f.Admin.PostAsJsonAsync("/api/v1/auto-replies", new
        {
            name = "Shipping", trigger = "keyword", keywords = new[] { "shipping fee" }, variants = new[] { "Shipping is free over $30." },
        })).EnsureSuccessStatusCode();
        var (agent, client) = await TeamFixture.AgentAsync(f, "Rita Report");
        await TeamFixture.TeamAsync(f, "Everyone", "least_open", [agent], isDefault: true);
        async Task Reply(Guid conversation, string text) => Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync(
            $"/api/v1/conversations/{conversation}/messages", new { type = "text", text })).StatusCode);

        // 09:00: the bot answers one customer; two others reach the agent, who answers only one of them a minute later.
        var (botPhone, abandonedPhone, inactivePhone, nightPhone) = (NewPhone(), NewPhone(), NewPhone(), NewPhone());
        await Writes(botPhone, "what is the shipping fee?");
        await Writes(abandonedPhone, "is anyone there?");
        await Writes(inactivePhone, "where is my order?");
        await f.DrainAsync();
        var (bot, abandoned, inactive) = (await Open(botPhone), await Open(abandonedPhone), await Open(inactivePhone));
        f.Clock.Advance(TimeSpan.FromMinutes(1));
        await Reply(inactive, "It left the warehouse today.");

        // 09:31: the bot's customer stayed quiet for 30 minutes.
        f.Clock.Advance(TimeSpan.FromMinutes(30));
        await TeamFixture.RunTimersAsync(f);
        Assert.Equal("bot", await ResolutionOf(bot));

        // 23:00: a customer writes after hours; the agent is back at 07:58 and has it at 08:00, answers at 08:03 and
        // resolves it.
        f.Clock.Advance(start.AddHours(14) - f.Clock.GetUtcNow());
        await Writes(nightPhone, "my parcel is broken");
        await f.DrainAsync();
        var night = await Open(nightPhone);
        f.Clock.Advance(start.AddHours(22).AddMinutes(58) - f.Clock.GetUtcNow());
        await TeamFixture.RunTimersAsync(f);
        client = await TeamFixture.SignInAsync(f, agent);
        f.Clock.Advance(TimeSpan.FromMinutes(2));
        await TeamFixture.RunTimersAsync(f);
        await f.DrainAsync();
        Assert.Equal(agent, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, night)));
        f.Clock.Advance(TimeSpan.FromMinutes(3));
        await Reply(night, "Sorry about that, a new one is on its way.");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/v1/conversations/{night}/resolve", null)).StatusCode);

        // Tuesday 09:02: nobody answered the second customer within the window (abandoned), and the third stayed silent
        // for 24 hours after the agent's answer (inactive).
        f.Clock.Advance(start.AddHours(24).AddMinutes(2) - f.Clock.GetUtcNow());
        await TeamFixture.RunTimersAsync(f);
        Assert.Equal("abandoned", await ResolutionOf(abandoned));
        Assert.Equal("inactive", await ResolutionOf(inactive));

        var s = await f.Admin.GetFromJsonAsync<JsonElement>(
            $"/api/v1/reports/summary?from={Uri.EscapeDataString(start.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(start.AddDays(1).ToString("O"))}");
        Assert.Equal(4, s.GetProperty("conversations").GetInt32());
        Assert.Equal(0.25m, s.GetProperty("botResolvedShare").GetDecimal());     // only the bot's quiet period
        Assert.Equal(0.25m, s.GetProperty("abandonmentRate").GetDecimal());      // ended with no reply
        // Closed within 24 hours by the bot or a person: the bot's and the night's; not the abandoned one the engine
        // closed at 24 hours, nor the inactive one closed 24 hours after the agent's answer.
        Assert.Equal(0.5m, s.GetProperty("resolutionRate").GetDecimal());
        // First response counts business time: 60 s, and 180 s for the night's (not the 9 hours of wall time).
        var frt = s.GetProperty("firstResponse");
        Assert.Equal(2, frt.GetProperty("count").GetInt32());
        Assert.Equal(120, frt.GetProperty("mean").GetDouble(), 3);
        Assert.Equal(120, frt.GetProperty("median").GetDouble(), 3);
    }
}
