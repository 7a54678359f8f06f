using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Customers;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>New conversations wait in the default team's queue; returning customers go back to their agent within 72 hours.</summary>
public class StickyAndDefaultTeamTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    [Fact]
    public async Task A_returning_customer_goes_back_to_the_agent_who_served_them()
    {
        var (anna, annaClient) = await TeamFixture.AgentAsync(f, "Anna Sticky");
        var (bob, bobClient) = await TeamFixture.AgentAsync(f, "Bob Other");
        await TeamFixture.TeamAsync(f, "Front desk", "least_open", [anna, bob], isDefault: true);
        const string phone = "66811112222";

        var first = await f.CustomerWritesAsync(phone);
        await f.DrainAsync();
        var servedBy = TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, first))!.Value;
        var (server, serverClient, other) = servedBy == anna ? (anna, annaClient, bob) : (bob, bobClient, anna);
        Assert.Equal(HttpStatusCode.Accepted, (await serverClient.PostAsJsonAsync($"/api/v1/conversations/{first}/messages", new { type = "text", text = "Here is your tracking number." })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await serverClient.PostAsync($"/api/v1/conversations/{first}/resolve", null)).StatusCode);
        await f.DrainAsync();   // the customer's grain records who served them

        // Both agents are back at work 71 hours later (new sessions) and equally free; stickiness must decide.
        f.Clock.Advance(TimeSpan.FromHours(71));
        await TeamFixture.SignInAsync(f, server);
        await TeamFixture.SignInAsync(f, other);
        var second = await f.CustomerWritesAsync(phone);
        Assert.NotEqual(first, second);
        await f.DrainAsync();
        var c = await TeamFixture.ConversationAsync(f, second);
        Assert.Equal(server, TeamFixture.Assignee(c));
        Assert.Equal(1, await f.Db.CountAsync("from entity_events where entity_id = @c and type = 'conversation.assigned' and data->>'via' = 'sticky'", ("c", second)));
        f.Clock.Rewind(TimeSpan.FromHours(71));
    }

    [Fact]
    public async Task The_sticky_owner_is_set_by_the_customers_grain_and_a_late_report_of_an_earlier_service_changes_nothing()
    {
        var (anna, annaClient) = await TeamFixture.AgentAsync(f, "Anna Latest");
        var (bob, _) = await TeamFixture.AgentAsync(f, "Bob Earlier");
        var conversation = await f.CustomerWritesAsync("66811113333");
        var contact = await f.Db.ScalarAsync<Guid>("select contact_id from conversations where id = @c", ("c", conversation));
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/assign", new { agentId = anna })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Accepted, (await annaClient.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages",
            new { type = "text", text = "On it." })).StatusCode);
        Task<Guid?> LastAgent() => f.Db.ScalarAsync<object>("select last_agent_id from contacts where id = @c", ("c", contact))
            .ContinueWith(t => t.Result is Guid g ? g : (Guid?)null);
        Assert.Null(await LastAgent());     // a follow-up of the reply, carried out by the customer's grain
        await f.DrainAsync();
        Assert.Equal(anna, await LastAgent());

        var customer = f.Host.Service<IGrainFactory>().GetGrain<ICustomerGrain>(GrainKeys.Customer(contact));
        var business = await f.Db.ScalarAsync<Guid>("select business_id from contacts where id = @c", ("c", contact));
        var system = new Engine.Grains.Interfaces.Conversations.CommandActor("system", "engine", "engine", business, "Administrator", null);
        await customer.Change(new ProfileChange(ProfileChangeKind.Served, system, AgentId: bob, At: f.Clock.GetUtcNow().AddMinutes(-5)));
        Assert.Equal(anna, await LastAgent());
        await customer.Change(new ProfileChange(ProfileChangeKind.Served, system, AgentId: bob, At: f.Clock.GetUtcNow().AddMinutes(1)));
        Assert.Equal(bob, await LastAgent());
    }

    [Fact]
    public async Task An_agent_coming_online_takes_what_waits_in_the_default_queue()
    {
        var (agent, client) = await TeamFixture.AgentAsync(f, "Dora Default", online: false);
        var team = await TeamFixture.TeamAsync(f, "Night desk", "round_robin_online", [agent], isDefault: true);
        var conversation = await f.CustomerWritesAsync("66822223333");
        await f.DrainAsync();
        var waiting = await TeamFixture.ConversationAsync(f, conversation);
        Assert.Equal(team, waiting.GetProperty("teamId").GetGuid());
        Assert.Null(TeamFixture.Assignee(waiting));
        var queue = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations?teamId={team}&queued=true");
        Assert.Contains(queue.GetProperty("items").EnumerateArray(), i => i.GetProperty("id").GetGuid() == conversation);

        await client.PostAsJsonAsync("/api/v1/me/presence", new { presence = "online" });
        await f.DrainAsync();
        Assert.Equal(agent, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));
    }

    [Fact]
    public async Task Every_change_is_in_the_audit_log_with_actor_time_and_before_after()
    {
        var (agent, client) = await TeamFixture.AgentAsync(f, "Audrey Audit");
        var team = await TeamFixture.TeamAsync(f, "Audited", "manual", [agent]);
        var conversation = await f.CustomerWritesAsync("66833334444");
        await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "route" });
        await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/assign", new { agentId = agent });
        await client.PostAsync($"/api/v1/conversations/{conversation}/lock", null);
        await client.PostAsJsonAsync($"/api/v1/conversations/{conversation}/notes", new { text = "called back" });
        await client.PostAsync($"/api/v1/conversations/{conversation}/resolve", null);

        var log = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?entityType=conversation&entityId={conversation}");
        var actions = log.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()).Reverse().ToList();
        Assert.Equal(["conversation.transferred", "conversation.assigned", "conversation.lock_taken", "conversation.note_added", "conversation.resolved"], actions);
        var resolved = log.GetProperty("items")[0];
        Assert.Equal(agent.ToString(), resolved.GetProperty("actorId").GetString());
        Assert.Equal("open", resolved.GetProperty("before").GetProperty("status").GetString());
        Assert.Equal("resolved", resolved.GetProperty("after").GetProperty("status").GetString());
        Assert.Equal(0, resolved.GetProperty("at").GetDateTimeOffset().Millisecond);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/audit")).StatusCode);
        var settings = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=user.created");
        Assert.NotEmpty(settings.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Log_in_needs_the_right_password_and_a_session_carries_the_role()
    {
        var (agent, client) = await TeamFixture.AgentAsync(f, "Pat Password");
        var me = await client.GetFromJsonAsync<JsonElement>("/api/v1/me");
        Assert.Equal(agent, me.GetProperty("id").GetGuid());
        Assert.Equal("0/5", me.GetProperty("load").GetString());
        Assert.True(me.GetProperty("online").GetBoolean());
        var email = me.GetProperty("email").GetString();
        var wrong = await f.Host.CreateClient().PostAsJsonAsync("/api/v1/auth/login", new { email, password = "not the password" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/v1/auth/logout", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/me")).StatusCode);
        Assert.Contains("pbkdf2-sha256$", await f.Db.ScalarAsync<string>("select password_hash from users where id = @id", ("id", agent)));
    }
}
