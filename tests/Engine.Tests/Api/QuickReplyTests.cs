using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

public class QuickReplyTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    [Fact]
    public async Task An_agent_sends_a_template_in_the_customers_language_with_variables_and_usage_is_counted_and_flagged()
    {
        var created = await f.Admin.PostAsJsonAsync("/api/v1/quick-replies", new
        {
            shortcut = "/refund", name = "Refund issued",
            versions = new[]
            {
                new { scenario = "standard", language = "en", text = "Hi {name}, the refund for order {order_no} was issued on {date}. — {agent_name}" },
                new { scenario = "standard", language = "th", text = "คืนเงินคำสั่งซื้อ {order_no} แล้วค่ะ" },
            },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var template = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.Conflict, (await f.Admin.PostAsJsonAsync("/api/v1/quick-replies", new { shortcut = "/refund", name = "Again", versions = new[] { new { scenario = "standard", text = "x" } } })).StatusCode);

        var (agent, client) = await TeamFixture.AgentAsync(f, "Quinn Quick");
        var team = await TeamFixture.TeamAsync(f, "Quick", "least_open", [agent]);
        var english = await f.CustomerWritesAsync("6694000001");
        var thai = await f.CustomerWritesAsync("6694000002");
        foreach (var c in new[] { english, thai })
            (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{c}/transfer", new { toTeamId = team, comment = "route" })).EnsureSuccessStatusCode();
        await f.DrainAsync();
        var thaiContact = (await TeamFixture.ConversationAsync(f, thai)).GetProperty("contact").GetProperty("id").GetGuid();
        await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{thaiContact}", new { language = "th" });

        var rendered = await client.PostAsJsonAsync($"/api/v1/quick-replies/{template}/render", new { conversationId = english, variables = new { order_no = "4411" } });
        Assert.Equal($"Hi Ana Lima, the refund for order 4411 was issued on {f.Clock.GetUtcNow():yyyy-MM-dd}. — Quinn Quick",
            JsonDocument.Parse(await rendered.Content.ReadAsStringAsync()).RootElement.GetProperty("text").GetString());

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync($"/api/v1/conversations/{thai}/messages",
            new { quickReplyId = template, variables = new { order_no = "7781" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync($"/api/v1/conversations/{english}/messages", new { type = "text", text = "Anything else?" })).StatusCode);
        f.Clock.Advance(TimeSpan.FromMinutes(1));
        await f.DrainAsync();
        Assert.Contains(f.Provider.Sent, s => s.Recipient == "6694000002"
            && JsonDocument.Parse(s.Body).RootElement.GetProperty("text").GetProperty("body").GetString() == "คืนเงินคำสั่งซื้อ 7781 แล้วค่ะ");

        var usage = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/quick-replies/usage");
        var me = usage.GetProperty("agents").EnumerateArray().Single(a => a.GetProperty("agentId").GetString() == agent.ToString());
        Assert.Equal(2, me.GetProperty("replies").GetInt32());
        Assert.Equal(1, me.GetProperty("withTemplate").GetInt32());
        Assert.True(me.GetProperty("flagged").GetBoolean());                  // 50% < 60%
        var refund = usage.GetProperty("templates").EnumerateArray().Single(t => t.GetProperty("shortcut").GetString() == "/refund");
        Assert.Equal(1, refund.GetProperty("uses").GetInt32());
        Assert.False(refund.GetProperty("flagged").GetBoolean());             // 1 of 2 agent replies

        // Deleted: gone from the list and from use, its one use still counted for the agent.
        var deleted = await f.Admin.DeleteAsync($"/api/v1/quick-replies/{template}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        var what = JsonDocument.Parse(await deleted.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(("/refund", 1), (what.GetProperty("shortcut").GetString(), what.GetProperty("uses").GetInt32()));
        Assert.DoesNotContain((await f.Admin.GetFromJsonAsync<JsonElement[]>("/api/v1/quick-replies"))!,
            q => q.GetProperty("id").GetGuid() == template);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync($"/api/v1/conversations/{english}/messages",
            new { quickReplyId = template })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await f.Admin.DeleteAsync($"/api/v1/quick-replies/{template}")).StatusCode);
        var after = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/quick-replies/usage");
        Assert.Equal(1, after.GetProperty("agents").EnumerateArray().Single(a => a.GetProperty("agentId").GetString() == agent.ToString())
            .GetProperty("withTemplate").GetInt32());
        Assert.DoesNotContain(after.GetProperty("templates").EnumerateArray(), t => t.GetProperty("shortcut").GetString() == "/refund");
        f.Clock.Rewind(TimeSpan.FromMinutes(1));
    }
}
