using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Deadlines;
using Engine.Silo.Runtime;
using Engine.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Api;

/// <summary>The conversation lock and idle release, end to end with a fake clock.</summary>
public class LockTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private async Task<(Guid Conversation, Guid Team, (Guid Id, HttpClient Client) A, (Guid Id, HttpClient Client) B)> SetUpAsync()
    {
        var a = await TeamFixture.AgentAsync(f, "Anna Lock");
        var b = await TeamFixture.AgentAsync(f, "Ben Second", role: "Editor");
        var team = await TeamFixture.TeamAsync(f, "Locks", "least_open", [a.Id]);
        var conversation = await f.CustomerWritesAsync("6690" + Random.Shared.NextInt64(1_000_000, 9_999_999));
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "route" })).EnsureSuccessStatusCode();
        await f.DrainAsync();
        Assert.Equal(a.Id, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
        return (conversation, team, a, b);
    }

    [Fact]
    public async Task A_second_agent_is_refused_while_the_first_holds_the_lock_and_sees_who_until_when()
    {
        var (conversation, _, a, b) = await SetUpAsync();
        var locked = await a.Client.PostAsync($"/api/v1/conversations/{conversation}/lock", null);
        Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        var view = JsonDocument.Parse(await locked.Content.ReadAsStringAsync()).RootElement.GetProperty("lock");
        Assert.Equal("Anna Lock", view.GetProperty("holderName").GetString());
        Assert.Equal(f.Clock.GetUtcNow().AddMinutes(7), view.GetProperty("until").GetDateTimeOffset());

        foreach (var attempt in new[]
        {
            b.Client.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages", new { type = "text", text = "I'll take this" }),
            b.Client.PostAsJsonAsync($"/api/v1/conversations/{conversation}/notes", new { text = "mine" }),
            b.Client.PostAsync($"/api/v1/conversations/{conversation}/lock", null),
            b.Client.PostAsync($"/api/v1/conversations/{conversation}/resolve", null),
        })
        {
            var r = await attempt;
            Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            Assert.Equal("conversation_locked", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        }
        Assert.Equal(HttpStatusCode.Accepted, (await a.Client.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages", new { type = "text", text = "On it" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await a.Client.PostAsync($"/api/v1/conversations/{conversation}/unlock", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await b.Client.PostAsJsonAsync($"/api/v1/conversations/{conversation}/notes", new { text = "now free" })).StatusCode);
    }

    [Fact]
    public async Task Idle_for_3_minutes_the_holder_loses_the_conversation_to_the_pool_and_the_next_agent_takes_it()
    {
        var (conversation, team, a, b) = await SetUpAsync();
        await a.Client.PostAsync($"/api/v1/conversations/{conversation}/lock", null);
        f.Clock.Advance(TimeSpan.FromMinutes(2));
        await a.Client.PostAsJsonAsync($"/api/v1/conversations/{conversation}/notes", new { text = "checking the order" }); // extends
        f.Clock.Advance(TimeSpan.FromMinutes(2));
        await TeamFixture.RunTimersAsync(f);
        Assert.Equal(a.Id, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation))); // 2 min idle: still hers

        f.Clock.Advance(TimeSpan.FromMinutes(1));
        await TeamFixture.RunTimersAsync(f);
        var released = await TeamFixture.ConversationAsync(f, conversation);
        Assert.Equal(JsonValueKind.Null, released.GetProperty("lock").ValueKind);
        Assert.Null(TeamFixture.Assignee(released));
        Assert.Equal("0/5", (await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/users/{a.Id}")).GetProperty("load").GetString());

        // Ben (active: his heartbeat keeps him online) joins the team and takes it; Anna is not offered it back.
        Assert.Equal(HttpStatusCode.NoContent, (await b.Client.PostAsync("/api/v1/me/heartbeat", null)).StatusCode);
        await f.Admin.PatchAsJsonAsync($"/api/v1/teams/{team}", new { members = new[] { b.Id } });
        await f.DrainAsync();
        Assert.Equal(b.Id, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
        Assert.Equal(HttpStatusCode.OK, (await b.Client.PostAsync($"/api/v1/conversations/{conversation}/lock", null)).StatusCode);
        Assert.Equal(1, await f.Db.CountAsync("from entity_events where entity_id = @c and type = @t", ("c", conversation), ("t", ConversationEvents.IdleReleased)));
    }

    [Fact]
    public async Task Idle_release_happens_once_however_often_its_deadline_is_delivered()
    {
        var (conversation, _, a, _) = await SetUpAsync();
        await a.Client.PostAsync($"/api/v1/conversations/{conversation}/lock", null);
        f.Clock.Advance(TimeSpan.FromMinutes(3));
        // Two sweeps (as two silos run them) and a repeated reminder tick reach the conversation's grain at once.
        var grain = f.Host.Service<IGrainFactory>().GetGrain<IConversationGrain>(GrainKeys.Conversation(conversation));
        var sweep = f.Host.Service<DeadlineSweep>();
        await Task.WhenAll(sweep.RunDueAsync(CancellationToken.None), sweep.RunDueAsync(CancellationToken.None), grain.FireDue());
        Assert.Null(TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
        Assert.Equal(1, await f.Db.CountAsync("from entity_events where entity_id = @c and type = @t", ("c", conversation), ("t", ConversationEvents.IdleReleased)));
        Assert.Equal(0, await f.Db.CountAsync("from conversations where assignee_id = @a and status = 'open'", ("a", a.Id)));
    }

    [Fact]
    public async Task Idle_release_waits_while_the_agent_waits_for_the_customer_and_runs_from_the_customers_next_message()
    {
        var (conversation, _, a, _) = await SetUpAsync();
        var phone = await f.Db.ScalarAsync<string>(
            "select c.external_id from contacts c join conversations v on v.contact_id = c.id where v.id = @c", ("c", conversation));
        Task<long> IdleReleases() => f.Db.CountAsync("from entity_events where entity_id = @c and type = @t",
            ("c", conversation), ("t", ConversationEvents.IdleReleased));
        await a.Client.PostAsync($"/api/v1/conversations/{conversation}/lock", null);
        await a.Client.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages", new { type = "text", text = "Your parcel left today." });

        // Answered: the agent waits for the customer, so 5 silent minutes release nothing; the lock still ends at 7.
        f.Clock.Advance(TimeSpan.FromMinutes(5));
        await TeamFixture.RunTimersAsync(f);
        var waiting = await TeamFixture.ConversationAsync(f, conversation);
        Assert.Equal(a.Id, TeamFixture.Assignee(waiting));
        Assert.NotEqual(JsonValueKind.Null, waiting.GetProperty("lock").ValueKind);
        f.Clock.Advance(TimeSpan.FromMinutes(3));
        await TeamFixture.RunTimersAsync(f);
        var expired = await TeamFixture.ConversationAsync(f, conversation);
        Assert.Equal(JsonValueKind.Null, expired.GetProperty("lock").ValueKind);
        Assert.Equal(a.Id, TeamFixture.Assignee(expired));
        Assert.Equal(0, await IdleReleases());

        // She opens it again; the customer writes 2 minutes later: the idle time runs from their message.
        await a.Client.PostAsync($"/api/v1/conversations/{conversation}/lock", null);
        f.Clock.Advance(TimeSpan.FromMinutes(2));
        await f.CustomerWritesAsync(phone);
        await TeamFixture.RunTimersAsync(f);
        f.Clock.Advance(TimeSpan.FromMinutes(2.5));
        await TeamFixture.RunTimersAsync(f);
        Assert.Equal(a.Id, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
        f.Clock.Advance(TimeSpan.FromMinutes(0.5));
        await TeamFixture.RunTimersAsync(f);
        Assert.Null(TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
        Assert.Equal(1, await IdleReleases());
    }

    [Theory]
    [InlineData(4, false)]
    [InlineData(5, true)]
    [InlineData(15, true)]
    [InlineData(16, false)]
    public async Task The_lock_length_is_adjustable_between_5_and_15_minutes(int minutes, bool ok)
    {
        var r = await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { lockMinutes = minutes });
        Assert.Equal(ok ? HttpStatusCode.OK : HttpStatusCode.BadRequest, r.StatusCode);
        if (!ok) return;
        var (conversation, _, a, _) = await SetUpAsync();
        var locked = JsonDocument.Parse(await (await a.Client.PostAsync($"/api/v1/conversations/{conversation}/lock", null)).Content.ReadAsStringAsync());
        Assert.Equal(f.Clock.GetUtcNow().AddMinutes(minutes), locked.RootElement.GetProperty("lock").GetProperty("until").GetDateTimeOffset());
        await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { lockMinutes = 7 });
    }
}
