using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Grains.Interfaces.Conversations;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>The engine closes what nobody else will: a conversation the customer went silent on after the agent's
/// answer (inactive), and one nobody answered before the response window closed (abandoned) — on a fake clock.</summary>
public class ClosingTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private static string NewPhone() => "6693" + Random.Shared.NextInt64(1_000_000, 9_999_999);

    private Task<long> Resolved(Guid conversation, string resolution) => f.Db.CountAsync(
        "from entity_events where entity_id = @c and type = @t and data->>'resolution' = @r",
        ("c", conversation), ("t", ConversationEvents.Resolved), ("r", resolution));

    [Fact]
    public async Task Silent_for_the_business_inactivity_time_after_the_agent_spoke_last_it_is_resolved_as_inactive()
    {
        var (agent, client) = await TeamFixture.AgentAsync(f, "Ines Inactive");
        var team = await TeamFixture.TeamAsync(f, "Closing", "least_open", [agent]);
        var phone = NewPhone();
        var conversation = await f.CustomerWritesAsync(phone);
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "route" })).EnsureSuccessStatusCode();
        await f.DrainAsync();
        async Task Reply() => Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync(
            $"/api/v1/conversations/{conversation}/messages", new { type = "text", text = "Anything else?" })).StatusCode);
        await Reply();

        // The customer answers 10 hours later: it is the agent's turn again, nothing closes at the first 24 hours.
        f.Clock.Advance(TimeSpan.FromHours(10));
        await f.CustomerWritesAsync(phone);
        f.Clock.Advance(TimeSpan.FromHours(14));
        await TeamFixture.RunTimersAsync(f);
        Assert.Equal("open", (await TeamFixture.ConversationAsync(f, conversation)).GetProperty("status").GetString());

        // The agent answers (signed in again: sessions last 12 hours); the customer stays silent 24 hours less a minute,
        // then the full 24 hours.
        client = await TeamFixture.SignInAsync(f, agent);
        await Reply();
        f.Clock.Advance(TimeSpan.FromHours(24) - TimeSpan.FromMinutes(1));
        await TeamFixture.RunTimersAsync(f);
        Assert.Equal("open", (await TeamFixture.ConversationAsync(f, conversation)).GetProperty("status").GetString());
        f.Clock.Advance(TimeSpan.FromMinutes(1));
        await TeamFixture.RunTimersAsync(f);
        var closed = await TeamFixture.ConversationAsync(f, conversation);
        Assert.Equal("resolved", closed.GetProperty("status").GetString());
        Assert.Equal("inactive", closed.GetProperty("resolution").GetString());
        Assert.Equal(1, await Resolved(conversation, Resolutions.Inactive));
        Assert.Equal(1, await f.Db.CountAsync("from audit_log where entity_id = @c::text and action = 'conversation.resolved' and actor_id = 'engine'",
            ("c", conversation)));
        Assert.Equal("0/5", (await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/users/{agent}")).GetProperty("load").GetString());
    }

    [Fact]
    public async Task Nobody_answering_before_the_window_closes_resolves_it_as_abandoned_and_it_counts_in_the_abandonment_rate()
    {
        var (agent, _) = await TeamFixture.AgentAsync(f, "Olga Offline", online: false);
        var team = await TeamFixture.TeamAsync(f, "Nobody home", "least_open", [agent]);
        var opened = f.Clock.GetUtcNow();
        var conversation = await f.CustomerWritesAsync(NewPhone());
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "route" })).EnsureSuccessStatusCode();
        await f.DrainAsync();

        f.Clock.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        await TeamFixture.RunTimersAsync(f);
        Assert.Equal("open", (await TeamFixture.ConversationAsync(f, conversation)).GetProperty("status").GetString());
        f.Clock.Advance(TimeSpan.FromSeconds(1));
        await TeamFixture.RunTimersAsync(f);
        var closed = await TeamFixture.ConversationAsync(f, conversation);
        Assert.Equal("abandoned", closed.GetProperty("resolution").GetString());
        Assert.Equal(1, await Resolved(conversation, Resolutions.Abandoned));

        var from = Uri.EscapeDataString(opened.AddMinutes(-1).ToString("O"));
        var to = Uri.EscapeDataString(opened.AddMinutes(1).ToString("O"));
        var summary = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/reports/summary?from={from}&to={to}&teamId={team}");
        Assert.Equal(1, summary.GetProperty("conversations").GetInt32());
        Assert.Equal(1m, summary.GetProperty("abandonmentRate").GetDecimal());
    }

    [Fact]
    public async Task The_inactivity_time_is_a_business_setting_between_1_and_720_hours()
    {
        var refused = await f.Admin.PatchAsJsonAsync("/api/v1/settings/", new { inactiveAfterHours = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("inactiveAfterHours", await refused.Content.ReadAsStringAsync());
        var saved = await f.Admin.PatchAsJsonAsync("/api/v1/settings/", new { inactiveAfterHours = 24, botQuietMinutes = 30 });
        var settings = await saved.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(24, settings.GetProperty("inactiveAfterHours").GetInt32());
        Assert.Equal(30, settings.GetProperty("botQuietMinutes").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, (await f.Admin.PatchAsJsonAsync("/api/v1/settings/", new { botQuietMinutes = 4 })).StatusCode);
    }
}
