using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>
/// The queue across business hours and over time, on a fake clock: a conversation opened after hours waits and is
/// offered when the hours open, first response and waiting count business time, a waiting customer hears again when
/// their place improves markedly, and under the new-customer limit a person's reply goes before the engine's notices
/// (dropped when they no longer apply).
/// </summary>
public class AfterHoursTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private static string NewPhone() => "6694" + Random.Shared.NextInt64(1_000_000, 9_999_999);

    private IReadOnlyList<string> TextsTo(string phone) => f.Provider.Sent.Where(s => s.Recipient == phone)
        .Select(s => JsonDocument.Parse(s.Body).RootElement.GetProperty("text").GetProperty("body").GetString()!).ToList();

    private Task HoursAsync(TimeOnly from, TimeOnly to) => EngineFixture.SetDailyHoursAsync(f.Admin, from, to);

    private Task OpenAllDayAsync() => HoursAsync(new TimeOnly(0, 0), new TimeOnly(0, 0));

    private Task<long> AlertsOn(Guid conversation, string kind) =>
        f.Db.CountAsync("from alerts where subject_id = @c and kind = @k", ("c", conversation), ("k", kind));

    private async Task<Guid[]> WaitingForHoursAsync() =>
        [.. (await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/conversations?waitingForHours=true&limit=200"))
            .GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetGuid())];

    [Fact]
    public async Task Opened_after_hours_it_hears_the_hours_waits_without_alerts_and_is_offered_when_they_open()
    {
        var now = f.Clock.GetUtcNow();
        var opens = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(2);
        await HoursAsync(TimeOnly.FromDateTime(opens.UtcDateTime), TimeOnly.FromDateTime(opens.UtcDateTime.AddHours(8)));
        (await f.Admin.PostAsJsonAsync("/api/v1/auto-replies", new
        {
            name = "Offline", trigger = "offline", variants = new[] { "We're closed. We reply from {next_open}." }, priority = 10,
        })).EnsureSuccessStatusCode();
        var (agent, client) = await TeamFixture.AgentAsync(f, "Olga Opening");
        var team = await TeamFixture.TeamAsync(f, "Night queue", "least_open", [agent], isDefault: true);
        try
        {
            var phone = NewPhone();
            var conversation = await f.CustomerWritesAsync(phone);
            await f.DrainAsync();
            var waiting = await TeamFixture.ConversationAsync(f, conversation);
            Assert.Equal(team, waiting.GetProperty("teamId").GetGuid());
            Assert.Null(TeamFixture.Assignee(waiting));   // the agent is online, but the hours are closed
            Assert.Contains(conversation, await WaitingForHoursAsync());
            Assert.Contains(TextsTo(phone), t => t.StartsWith("We're closed. We reply from"));
            Assert.Contains(TextsTo(phone), t => t.StartsWith("We are closed now") && t.Contains("number 1 in the queue")
                && t.Contains($"Expect a reply by {opens.AddMinutes(5):ddd HH:mm}"));

            // The night passes: no waiting or first-response alert counts closed time, and an agent coming back online
            // before the opening is offered nothing.
            f.Clock.Advance(opens - f.Clock.GetUtcNow() - TimeSpan.FromMinutes(1));
            await TeamFixture.RunTimersAsync(f);
            await f.DrainAsync();
            client = await TeamFixture.SignInAsync(f, agent);
            await f.DrainAsync();
            Assert.Null(TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
            Assert.Equal(0, await AlertsOn(conversation, "waiting") + await AlertsOn(conversation, "first_response"));

            // The hours open: the queue offers it, without a new customer message.
            f.Clock.Advance(TimeSpan.FromMinutes(1));
            await TeamFixture.RunTimersAsync(f);
            await f.DrainAsync();
            Assert.Equal(agent, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
            Assert.Empty(await WaitingForHoursAsync());

            // First response counts from the opening: its alert is due 3 business minutes in, not before.
            f.Clock.Advance(TimeSpan.FromSeconds(179));
            await TeamFixture.RunTimersAsync(f);
            Assert.Equal(0, await AlertsOn(conversation, "first_response"));
            f.Clock.Advance(TimeSpan.FromSeconds(1));
            await TeamFixture.RunTimersAsync(f);
            Assert.Equal(1, await AlertsOn(conversation, "first_response"));
        }
        finally
        {
            await f.Db.ExecAsync("update teams set is_default = false where id = @t", ("t", team));
            await f.Db.ExecAsync("delete from auto_reply_rules");
            await OpenAllDayAsync();
        }
    }

    [Fact]
    public async Task A_team_with_hours_of_its_own_waits_for_them_while_the_business_is_open()
    {
        await OpenAllDayAsync();
        var (agent, _) = await TeamFixture.AgentAsync(f, "Fiona Finance");
        var team = await TeamFixture.TeamAsync(f, "Finance", "least_open", [agent]);
        var now = f.Clock.GetUtcNow();
        var opens = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(1);
        var interval = new[] { new { from = opens.ToString("HH:mm"), to = opens.AddHours(8).ToString("HH:mm") } };
        var put = await f.Admin.PutAsJsonAsync($"/api/v1/teams/{team}/hours", new
        {
            timeZone = "UTC", week = Enum.GetNames<DayOfWeek>().ToDictionary(d => d, _ => interval), holidays = Array.Empty<string>(),
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var hours = JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement;
        Assert.True(hours.GetProperty("own").GetBoolean());
        Assert.False(hours.GetProperty("openNow").GetBoolean());
        Assert.Equal(HttpStatusCode.BadRequest, (await f.Admin.PutAsJsonAsync($"/api/v1/teams/{team}/hours",
            new { timeZone = "Mars/Olympus", week = new Dictionary<string, object[]>() })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await f.Admin.DeleteAsync($"/api/v1/teams/{Guid.NewGuid()}/hours")).StatusCode);

        var phone = NewPhone();
        var conversation = await f.CustomerWritesAsync(phone);
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "refund" }))
            .EnsureSuccessStatusCode();
        await f.DrainAsync();
        Assert.Null(TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
        Assert.Contains(TextsTo(phone), t => t.StartsWith("We are closed now") && t.Contains("number 1 in the queue"));

        // The team's own opening offers it; back on the business's hours, the team's hours are the business's again.
        f.Clock.Advance(opens - f.Clock.GetUtcNow() - TimeSpan.FromMinutes(1));
        await TeamFixture.SignInAsync(f, agent);
        f.Clock.Advance(TimeSpan.FromMinutes(1));
        await TeamFixture.RunTimersAsync(f);
        await f.DrainAsync();
        Assert.Equal(agent, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
        var cleared = await f.Admin.DeleteAsync($"/api/v1/teams/{team}/hours");
        Assert.False(JsonDocument.Parse(await cleared.Content.ReadAsStringAsync()).RootElement.GetProperty("own").GetBoolean());
    }

    [Fact]
    public async Task A_waiting_customer_hears_again_when_their_place_improves_markedly_at_most_every_few_minutes()
    {
        await OpenAllDayAsync();
        var (agent, _) = await TeamFixture.AgentAsync(f, "Quincy Queue", online: false);
        var team = await TeamFixture.TeamAsync(f, "Busy line", "least_open", [agent]);
        var phones = Enumerable.Range(0, 5).Select(_ => NewPhone()).ToList();
        var conversations = new List<Guid>();
        foreach (var phone in phones)
        {
            var conversation = await f.CustomerWritesAsync(phone);
            (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "queue" }))
                .EnsureSuccessStatusCode();
            await f.DrainAsync();
            conversations.Add(conversation);
        }
        for (var i = 0; i < 5; i++) Assert.Contains(TextsTo(phones[i]), t => t.Contains($"number {i + 1} in the queue"));

        // The first three leave the queue (answered elsewhere): 4 → 1 and 5 → 2 are marked gains, told at the next check.
        foreach (var c in conversations.Take(3))
            Assert.Equal(HttpStatusCode.OK, (await f.Admin.PostAsync($"/api/v1/conversations/{c}/resolve", null)).StatusCode);
        f.Clock.Advance(TimeSpan.FromMinutes(3));
        await TeamFixture.RunTimersAsync(f);
        await f.DrainAsync();
        Assert.Contains(TextsTo(phones[3]), t => t.StartsWith("Your place in the queue is now number 1."));
        Assert.Contains(TextsTo(phones[4]), t => t.StartsWith("Your place in the queue is now number 2."));

        // 2 → 1 is marked too, but not within a few minutes of the last notice; and a queue that does not move says nothing.
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.PostAsync($"/api/v1/conversations/{conversations[3]}/resolve", null)).StatusCode);
        var before = TextsTo(phones[4]).Count;
        f.Clock.Advance(TimeSpan.FromMinutes(2));
        await TeamFixture.RunTimersAsync(f);
        await f.DrainAsync();
        Assert.Equal(before, TextsTo(phones[4]).Count);
        f.Clock.Advance(TimeSpan.FromMinutes(1));
        await TeamFixture.RunTimersAsync(f);
        await f.DrainAsync();
        Assert.Equal("Your place in the queue is now number 1.", TextsTo(phones[4])[^1].Split(" Estimated")[0]);
        f.Clock.Advance(TimeSpan.FromMinutes(6));
        await TeamFixture.RunTimersAsync(f);
        await f.DrainAsync();
        Assert.Equal(before + 1, TextsTo(phones[4]).Count);
    }

    [Fact]
    public async Task Under_the_new_customer_limit_a_persons_reply_goes_before_the_notices_and_an_untrue_notice_is_dropped()
    {
        await OpenAllDayAsync();
        var team = await TeamFixture.TeamAsync(f, "Nobody home", "least_open", []);
        var phone = NewPhone();
        var conversation = await f.CustomerWritesAsync(phone);
        async Task Say(HttpClient who, string text) => Assert.Equal(HttpStatusCode.Accepted, (await who.PostAsJsonAsync(
            $"/api/v1/conversations/{conversation}/messages", new { type = "text", text })).StatusCode);
        // Five messages in the new customer's minute use up what they may receive.
        for (var i = 0; i < 5; i++) await Say(f.Admin, $"Update {i}");
        await f.DrainAsync();
        Assert.Equal(5, TextsTo(phone).Count);

        // Queued, the customer is owed their place; a supervisor's reply written after it goes out first.
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "queue" }))
            .EnsureSuccessStatusCode();
        await f.DrainAsync();
        await Say(f.Admin, "A person answers first.");
        await f.DrainAsync();
        Assert.Equal(5, TextsTo(phone).Count);
        f.Clock.Advance(TimeSpan.FromMinutes(1));
        await f.DrainAsync();
        var texts = TextsTo(phone);
        Assert.Equal("A person answers first.", texts[5]);
        Assert.Contains("number 1 in the queue", texts[6]);

        // Assigned, the notice saying so waits behind the limit; the agent's own reply overtakes it and makes it untrue.
        for (var i = 0; i < 3; i++) await Say(f.Admin, $"More {i}");
        await f.DrainAsync();
        var (agent, client) = await TeamFixture.AgentAsync(f, "Dora Dropped");
        Assert.Equal(HttpStatusCode.OK,
            (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/assign", new { agentId = agent })).StatusCode);
        await f.DrainAsync();
        await Say(client, "Hello, Dora here.");
        await f.DrainAsync();
        f.Clock.Advance(TimeSpan.FromMinutes(1));
        await f.DrainAsync();
        Assert.Equal("Hello, Dora here.", TextsTo(phone)[^1]);
        Assert.DoesNotContain(TextsTo(phone), t => t.Contains("You are now chatting with Dora"));
        var page = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conversation}/messages?limit=500");
        Assert.Contains(page.GetProperty("items").EnumerateArray(), m => m.GetProperty("status").GetString() == "dropped"
            && m.GetProperty("text").GetString()!.Contains("You are now chatting with Dora"));
    }
}
