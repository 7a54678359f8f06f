using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>Conversation alerts fire and clear on durable timers as the fake clock moves: waiting, VIP waiting and first response.</summary>
public class AlertTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private static string NewPhone() => "6683" + Random.Shared.NextInt64(1_000_000, 9_999_999);

    private async Task<Guid> WaitingInAsync(Guid team)
    {
        var conversation = await f.CustomerWritesAsync(NewPhone());
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "routing" })).EnsureSuccessStatusCode();
        return conversation;
    }

    private async Task<string[]> OpenAlertsOn(Guid conversation) =>
        (await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/alerts?open=true")).EnumerateArray()
            .Where(a => a.GetProperty("subjectId").GetGuid() == conversation).Select(a => a.GetProperty("kind").GetString()!).Order().ToArray();

    private async Task AdvanceAsync(TimeSpan by)
    {
        f.Clock.Advance(by);
        await TeamFixture.RunTimersAsync(f);
    }

    [Fact]
    public async Task Waiting_and_first_response_alerts_fire_at_their_thresholds_and_clear_when_answered()
    {
        var hook = await f.Admin.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://example.com/alerts", events = new[] { "alert.raised", "alert.cleared" } });
        hook.EnsureSuccessStatusCode();
        var subscription = (await hook.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("webhook").GetProperty("id").GetGuid();
        var (agent, client) = await TeamFixture.AgentAsync(f, "Alert Aom", online: false);
        var team = await TeamFixture.TeamAsync(f, "Alerts", "least_open", [agent]);
        var conversation = await WaitingInAsync(team);

        await AdvanceAsync(TimeSpan.FromSeconds(179));
        Assert.Empty(await OpenAlertsOn(conversation));                              // not yet: 3 min for the first response, 5 min waiting
        await AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(["first_response"], await OpenAlertsOn(conversation));
        await AdvanceAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(["first_response", "waiting"], await OpenAlertsOn(conversation));
        Assert.True(await f.Db.ScalarAsync<long>("select count(*) from outbox where topic = 'webhook.deliver' and payload->>'subscriptionId' = @s",
            ("s", subscription.ToString())) >= 2);

        // The agent comes online and gets it: the waiting alert clears at once; their reply clears the first-response alert.
        (await client.PostAsJsonAsync("/api/v1/me/presence", new { presence = "online" })).EnsureSuccessStatusCode();
        await f.DrainAsync();
        await TeamFixture.RunTimersAsync(f);
        Assert.Equal(["first_response"], await OpenAlertsOn(conversation));
        (await client.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages", new { type = "text", text = "Hello, how can I help?" })).EnsureSuccessStatusCode();
        await TeamFixture.RunTimersAsync(f);
        Assert.Empty(await OpenAlertsOn(conversation));
        var all = (await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/alerts")).EnumerateArray().Where(a => a.GetProperty("subjectId").GetGuid() == conversation).ToList();
        Assert.Equal(2, all.Count);
        Assert.All(all, a => Assert.NotEqual(JsonValueKind.Null, a.GetProperty("clearedAt").ValueKind));
    }

    [Fact]
    public async Task A_vip_waits_30_seconds_before_the_alert_and_thresholds_are_configurable()
    {
        var (agent, _) = await TeamFixture.AgentAsync(f, "Vip Vee", online: false);
        var team = await TeamFixture.TeamAsync(f, "VIP desk", "least_open", [agent]);
        var rules = await f.Admin.PutAsJsonAsync("/api/v1/alert-rules", new[] { new { kind = "vip_waiting", threshold = 45m, enabled = true } });
        rules.EnsureSuccessStatusCode();
        try
        {
            var conversation = await f.CustomerWritesAsync(NewPhone());
            await f.Db.ExecAsync("update contacts set vip = true where id = (select contact_id from conversations where id = @c)", ("c", conversation));
            (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "vip" })).EnsureSuccessStatusCode();
            await AdvanceAsync(TimeSpan.FromSeconds(44));
            Assert.Empty(await OpenAlertsOn(conversation));
            await AdvanceAsync(TimeSpan.FromSeconds(1));
            Assert.Equal(["vip_waiting"], await OpenAlertsOn(conversation));

            var bad = await f.Admin.PutAsJsonAsync("/api/v1/alert-rules", new[] { new { kind = "abandonment", threshold = 12m, enabled = true } });
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("0.12 = 12%", await bad.Content.ReadAsStringAsync());
            var unknown = await f.Admin.PutAsJsonAsync("/api/v1/alert-rules", new[] { new { kind = "slow", threshold = 1m, enabled = true } });
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
            var listed = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/alert-rules");
            Assert.Equal(45m, listed.EnumerateArray().Single(r => r.GetProperty("kind").GetString() == "vip_waiting").GetProperty("threshold").GetDecimal());
            Assert.Equal(300m, listed.EnumerateArray().Single(r => r.GetProperty("kind").GetString() == "waiting").GetProperty("threshold").GetDecimal());
        }
        finally
        {
            await f.Admin.PutAsJsonAsync("/api/v1/alert-rules", new[] { new { kind = "vip_waiting", threshold = 30m, enabled = true } });
        }
    }
}
