using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>Queues, offers, notices, capacity and claim mode, through the API with the fake provider receiving what customers are told.</summary>
public class AssignmentFlowTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private static string NewPhone() => "6682" + Random.Shared.NextInt64(1_000_000, 9_999_999);

    /// <summary>A customer writes and an administrator routes the conversation to <paramref name="team"/>.</summary>
    private async Task<Guid> WaitingInAsync(Guid team, string? phone = null)
    {
        var conversation = await f.CustomerWritesAsync(phone ?? NewPhone());
        var r = await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "routing" });
        r.EnsureSuccessStatusCode();
        return conversation;
    }

    private IEnumerable<string> TextsTo(string phone) =>
        f.Provider.Sent.Where(s => s.Recipient == phone).Select(s => JsonDocument.Parse(s.Body).RootElement.GetProperty("text").GetProperty("body").GetString()!);

    [Fact]
    public async Task A_waiting_conversation_goes_to_an_online_agent_and_the_customer_is_told_who()
    {
        var (agent, _) = await TeamFixture.AgentAsync(f, "Mali Srisuk");
        var team = await TeamFixture.TeamAsync(f, "Sales", "round_robin_online", [agent]);
        var phone = NewPhone();
        var conversation = await WaitingInAsync(team, phone);
        await f.DrainAsync();
        Assert.Equal(agent, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
        Assert.Contains(TextsTo(phone), t => t.Contains("Mali Srisuk") && t.Contains("reply within"));
        var me = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/users/{agent}");
        Assert.Equal("1/5", me.GetProperty("load").GetString());
    }

    [Fact]
    public async Task With_nobody_online_it_waits_the_customer_hears_their_place_and_an_agent_coming_online_takes_it()
    {
        var (agent, client) = await TeamFixture.AgentAsync(f, "Late Larry", online: false);
        var team = await TeamFixture.TeamAsync(f, "Support", "least_open", [agent]);
        var phone = NewPhone();
        var conversation = await WaitingInAsync(team, phone);
        await f.DrainAsync();
        Assert.Null(TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
        Assert.Contains(TextsTo(phone), t => t.Contains("number 1 in the queue") && t.Contains("Estimated wait"));

        await client.PostAsJsonAsync("/api/v1/me/presence", new { presence = "online" });
        await f.DrainAsync();
        Assert.Equal(agent, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
    }

    [Fact]
    public async Task Resolving_frees_capacity_at_once_and_the_next_waiting_conversation_follows()
    {
        var (agent, client) = await TeamFixture.AgentAsync(f, "Solo Sam", capacity: 1);
        var team = await TeamFixture.TeamAsync(f, "Solo", "least_open", [agent]);
        var first = await WaitingInAsync(team);
        var second = await WaitingInAsync(team);
        await f.DrainAsync();
        Assert.Equal(agent, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, first)));
        Assert.Null(TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, second)));

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/v1/conversations/{first}/resolve", null)).StatusCode);
        Assert.Equal("0/1", (await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/users/{agent}")).GetProperty("load").GetString());
        await f.DrainAsync();
        Assert.Equal(agent, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, second)));
    }

    [Fact]
    public async Task A_vip_jumps_the_queue()
    {
        var (agent, client) = await TeamFixture.AgentAsync(f, "Vera Vip", capacity: 1, online: false);
        var team = await TeamFixture.TeamAsync(f, "Vip desk", "least_open", [agent]);
        var normal = await WaitingInAsync(team);
        var vipPhone = NewPhone();
        var vip = await f.CustomerWritesAsync(vipPhone);
        var contact = (await TeamFixture.ConversationAsync(f, vip)).GetProperty("contact").GetProperty("id").GetGuid();
        (await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{contact}", new { vip = true })).EnsureSuccessStatusCode();
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{vip}/transfer", new { toTeamId = team, comment = "vip" })).EnsureSuccessStatusCode();
        await f.DrainAsync();

        await client.PostAsJsonAsync("/api/v1/me/presence", new { presence = "online" });
        await f.DrainAsync();
        Assert.Equal(agent, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, vip)));
        Assert.Null(TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, normal)));
    }

    [Fact]
    public async Task In_claim_mode_agents_pull_the_oldest_waiting_conversation_of_their_own_teams()
    {
        var (agent, client) = await TeamFixture.AgentAsync(f, "Claire Claim");
        var (other, otherClient) = await TeamFixture.AgentAsync(f, "Otto Other");
        var team = await TeamFixture.TeamAsync(f, "Manual", "manual", [agent]);
        var otherTeam = await TeamFixture.TeamAsync(f, "Elsewhere", "manual", [other]);
        var older = await WaitingInAsync(team);
        f.Clock.Advance(TimeSpan.FromSeconds(5));
        var newer = await WaitingInAsync(team);
        var foreign = await WaitingInAsync(otherTeam);
        await f.DrainAsync();
        Assert.Null(TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, older))); // manual: nothing automatic

        var claimed = await client.PostAsync("/api/v1/conversations/claim", null);
        Assert.Equal(older, JsonDocument.Parse(await claimed.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/v1/conversations/{newer}/claim", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync($"/api/v1/conversations/{foreign}/claim", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await otherClient.PostAsync($"/api/v1/conversations/{newer}/claim", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/v1/conversations/claim", null)).StatusCode);
    }

    [Fact]
    public async Task Agents_claiming_at_once_each_get_a_different_conversation_and_the_oldest_of_all_their_teams_goes_first()
    {
        var agents = new List<(Guid Id, HttpClient Client)>();
        for (var i = 0; i < 4; i++) agents.Add(await TeamFixture.AgentAsync(f, $"Racer {i}"));
        var front = await TeamFixture.TeamAsync(f, "Front", "manual", agents.Select(a => a.Id));
        var back = await TeamFixture.TeamAsync(f, "Back", "manual", [agents[0].Id]);
        var oldest = await WaitingInAsync(back);
        f.Clock.Advance(TimeSpan.FromSeconds(5));
        var waiting = new List<Guid> { await WaitingInAsync(front), await WaitingInAsync(front) };

        // Agent 0 belongs to both teams: the oldest conversation of either queue is theirs first.
        var first = await agents[0].Client.PostAsync("/api/v1/conversations/claim", null);
        Assert.Equal(oldest, JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid());

        var responses = await Task.WhenAll(agents.Skip(1).Select(a => a.Client.PostAsync("/api/v1/conversations/claim", null)));
        var claimed = new List<Guid>();
        foreach (var r in responses.Where(r => r.StatusCode == HttpStatusCode.OK))
            claimed.Add(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid());
        Assert.Equal(waiting.Order(), claimed.Order());                                   // each once
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.NoContent);          // the third found none
    }

    [Fact]
    public async Task Agents_see_and_answer_only_their_conversations_and_their_queues()
    {
        var (mine, myClient) = await TeamFixture.AgentAsync(f, "Mina Mine");
        var (_, strangerClient) = await TeamFixture.AgentAsync(f, "Stan Stranger");
        var team = await TeamFixture.TeamAsync(f, "Mine only", "least_open", [mine]);
        var conversation = await WaitingInAsync(team);
        await f.DrainAsync();

        Assert.Equal(HttpStatusCode.OK, (await myClient.GetAsync($"/api/v1/conversations/{conversation}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await strangerClient.GetAsync($"/api/v1/conversations/{conversation}")).StatusCode);
        var list = await strangerClient.GetFromJsonAsync<JsonElement>("/api/v1/conversations?limit=200");
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), c => c.GetProperty("id").GetGuid() == conversation);
        var reply = await strangerClient.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages", new { type = "text", text = "hi" });
        Assert.Equal(HttpStatusCode.Forbidden, reply.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await myClient.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages", new { type = "text", text = "Hello, I'm Mina." })).StatusCode);
        var c = await TeamFixture.ConversationAsync(f, conversation);
        Assert.NotEqual(JsonValueKind.Null, c.GetProperty("firstHumanReplyAt").ValueKind);
    }

    [Fact]
    public async Task Transfers_need_a_comment_are_counted_and_land_with_the_new_agent()
    {
        var (from, fromClient) = await TeamFixture.AgentAsync(f, "Fran From");
        var (to, _) = await TeamFixture.AgentAsync(f, "Tom To");
        var team = await TeamFixture.TeamAsync(f, "Transfers", "least_open", [from]);
        var conversation = await WaitingInAsync(team);
        await f.DrainAsync();
        Assert.Equal(HttpStatusCode.BadRequest, (await fromClient.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toAgentId = to })).StatusCode);
        var ok = await fromClient.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toAgentId = to, comment = "needs a refund approval" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(to, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
        var fromUser = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/users/{from}");
        Assert.Equal(1, fromUser.GetProperty("handovers").GetInt32());
        Assert.Equal("0/5", fromUser.GetProperty("load").GetString());
        Assert.Equal("1/5", (await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/users/{to}")).GetProperty("load").GetString());
    }

    [Fact]
    public async Task Escalation_goes_up_a_tier_within_the_team()
    {
        var (frontline, client) = await TeamFixture.AgentAsync(f, "Frank Front");
        var (senior, _) = await TeamFixture.AgentAsync(f, "Sena Senior", tier: "senior");
        var team = await TeamFixture.TeamAsync(f, "Tiers", "least_open", [frontline]);
        var conversation = await WaitingInAsync(team);
        await f.DrainAsync();
        Assert.Equal(frontline, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
        await f.Admin.PatchAsJsonAsync($"/api/v1/teams/{team}", new { members = new[] { frontline, senior } });
        var r = await client.PostAsJsonAsync($"/api/v1/conversations/{conversation}/escalate", new { comment = "asks for compensation" });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        await f.DrainAsync();
        var c = await TeamFixture.ConversationAsync(f, conversation);
        Assert.Equal("senior", c.GetProperty("requiredTier").GetString());
        Assert.Equal(senior, TeamFixture.Assignee(c));
    }

    [Fact]
    public async Task An_escalation_goes_only_up_never_back_by_the_sticky_or_dedicated_path_and_its_comment_is_in_the_thread()
    {
        var (escalator, client) = await TeamFixture.AgentAsync(f, "Elif Escalates");
        var (dedicated, _) = await TeamFixture.AgentAsync(f, "Dede Dedicated");
        var (senior, _) = await TeamFixture.AgentAsync(f, "Sami Senior", tier: "senior");
        var team = await TeamFixture.TeamAsync(f, "Upward", "least_open", [escalator]);
        var conversation = await WaitingInAsync(team);
        await f.DrainAsync();
        Assert.Equal(escalator, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
        // The escalating agent is the customer's sticky owner (she answered) and another frontline agent is their
        // dedicated agent: neither path may take the escalation back down.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages",
            new { type = "text", text = "Let me check." })).StatusCode);
        var contact = (await TeamFixture.ConversationAsync(f, conversation)).GetProperty("contact").GetProperty("id").GetGuid();
        (await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{contact}", new { dedicatedAgentId = dedicated })).EnsureSuccessStatusCode();
        await f.Admin.PatchAsJsonAsync($"/api/v1/teams/{team}", new { members = new[] { escalator, dedicated, senior } });
        await f.DrainAsync();

        var r = await client.PostAsJsonAsync($"/api/v1/conversations/{conversation}/escalate",
            new { comment = "Wants compensation above my limit" });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        await f.DrainAsync();
        Assert.Equal(senior, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));

        Assert.Empty((await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conversation}/notes")).EnumerateArray());
        var notes = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conversation}/notes?kind=handover");
        var handover = notes.EnumerateArray().Last();   // the routing transfer's, then the escalation's
        Assert.Equal("Wants compensation above my limit", handover.GetProperty("text").GetString());
        Assert.Equal("Elif Escalates", handover.GetProperty("authorName").GetString());
        Assert.Equal(2, await f.Db.CountAsync("from entity_events where entity_id = @c and type = @t and data->>'kind' = 'handover'",
            ("c", conversation), ("t", Engine.Grains.Interfaces.Conversations.ConversationEvents.NoteAdded)));
    }

    [Fact]
    public async Task A_customer_writing_thai_gets_the_language_routes_to_a_thai_speaker_and_an_agent_can_correct_it()
    {
        var (english, _) = await TeamFixture.AgentAsync(f, "Emma English");
        var (thai, thaiClient) = await TeamFixture.AgentAsync(f, "Somchai Thai");
        (await f.Admin.PatchAsJsonAsync($"/api/v1/users/{thai}", new { languages = new[] { "th" } })).EnsureSuccessStatusCode();
        var created = await f.Admin.PostAsJsonAsync("/api/v1/teams", new
        {
            name = $"Languages {Guid.NewGuid():N}"[..24], strategy = "least_open", members = new[] { english, thai }, matchLanguage = true,
        });
        var team = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var phone = NewPhone();
        await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), "สวัสดีครับ พัสดุของฉันอยู่ไหน"));
        var conversation = await f.Db.ScalarAsync<Guid>(
            "select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p", ("p", phone));
        var contact = await f.Db.ScalarAsync<Guid>("select contact_id from conversations where id = @c", ("c", conversation));
        Assert.Equal("th", (await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/contacts/{contact}")).GetProperty("language").GetString());

        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "route" })).EnsureSuccessStatusCode();
        await f.DrainAsync();
        Assert.Equal(thai, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));

        // The agent working it corrects the language; an agent who does not is refused as if it did not exist.
        var corrected = await thaiClient.PutAsJsonAsync($"/api/v1/contacts/{contact}/language", new { language = "lo" });
        Assert.Equal(HttpStatusCode.OK, corrected.StatusCode);
        Assert.Equal("lo", (await corrected.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("language").GetString());
        var (_, outsider) = await TeamFixture.AgentAsync(f, "Otto Outsider");
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.PutAsJsonAsync($"/api/v1/contacts/{contact}/language", new { language = "en" })).StatusCode);
        var invalid = await thaiClient.PutAsJsonAsync($"/api/v1/contacts/{contact}/language", new { language = "t" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        // A later message does not override a language someone has set.
        await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), "Where is my order please"));
        Assert.Equal("lo", (await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/contacts/{contact}")).GetProperty("language").GetString());
    }

    [Fact]
    public async Task Team_notes_are_private_limited_to_300_characters_and_kept_with_author_and_time()
    {
        var (agent, client) = await TeamFixture.AgentAsync(f, "Nora Notes");
        var team = await TeamFixture.TeamAsync(f, "Notes", "least_open", [agent]);
        var phone = NewPhone();
        var conversation = await WaitingInAsync(team, phone);
        await f.DrainAsync();
        var sentBefore = f.Provider.Sent.Count(s => s.Recipient == phone);
        var tooLong = await client.PostAsJsonAsync($"/api/v1/conversations/{conversation}/notes", new { text = new string('x', 301) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("1 too many", await tooLong.Content.ReadAsStringAsync());
        var ok = await client.PostAsJsonAsync($"/api/v1/conversations/{conversation}/notes", new { text = "10:02|refund|waiting for finance" });
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        await f.DrainAsync();
        Assert.Equal(sentBefore, f.Provider.Sent.Count(s => s.Recipient == phone));
        var notes = await client.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conversation}/notes");
        var note = Assert.Single(notes.EnumerateArray());
        Assert.Equal("Nora Notes", note.GetProperty("authorName").GetString());
        Assert.Equal("10:02|refund|waiting for finance", note.GetProperty("text").GetString());
    }

    [Fact]
    public async Task The_safety_sweep_assigns_what_no_event_offered()
    {
        var (agent, _) = await TeamFixture.AgentAsync(f, "Swept Sue", online: false);
        var team = await TeamFixture.TeamAsync(f, "Sweep", "least_open", [agent]);
        var conversation = await WaitingInAsync(team);
        await f.DrainAsync();
        // The agent becomes available with no event at all (written behind the engine's back).
        await f.Db.ExecAsync("update users set presence = 'online', last_active_at = @now where id = @a", ("now", f.Clock.GetUtcNow()), ("a", agent));
        Assert.Null(TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
        await f.Host.Service<Engine.Silo.Assignment.TeamQueues>().SweepAsync(CancellationToken.None);
        Assert.Equal(agent, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
    }

    [Fact]
    public async Task Manual_assignment_refuses_an_agent_at_capacity()
    {
        var (agent, _) = await TeamFixture.AgentAsync(f, "Full Fiona", capacity: 1);
        var team = await TeamFixture.TeamAsync(f, "Full", "manual", [agent]);
        var first = await WaitingInAsync(team);
        var second = await WaitingInAsync(team);
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{first}/assign", new { agentId = agent })).StatusCode);
        var refused = await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{second}/assign", new { agentId = agent });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("capacity_reached", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
    }
}
