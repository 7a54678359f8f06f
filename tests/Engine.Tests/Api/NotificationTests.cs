using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>What supervisors must be told reaches every Editor and Administrator, each marking it read for themself.</summary>
public class NotificationTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private static string NewPhone() => "6694" + Random.Shared.NextInt64(1_000_000, 9_999_999);

    private static async Task<int> UnreadAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/api/v1/notifications/unread")).GetProperty("unread").GetInt32();

    [Fact]
    public async Task A_vip_waiting_reaches_every_supervisor_on_the_stream_and_each_marks_it_read_for_themself()
    {
        var (agent, agentClient) = await TeamFixture.AgentAsync(f, "Vic Offline", online: false);
        var (_, editor) = await TeamFixture.AgentAsync(f, "Eda Editor", role: "Editor");
        var (_, admin) = await TeamFixture.AgentAsync(f, "Ari Admin", role: "Administrator");
        var team = await TeamFixture.TeamAsync(f, "VIP notices", "least_open", [agent]);
        var conversation = await f.CustomerWritesAsync(NewPhone());
        var contact = await f.Db.ScalarAsync<Guid>("select contact_id from conversations where id = @c", ("c", conversation));
        (await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{contact}", new { vip = true })).EnsureSuccessStatusCode();
        await f.DrainAsync();
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "vip" })).EnsureSuccessStatusCode();
        var editorBefore = await UnreadAsync(editor);
        var adminBefore = await UnreadAsync(admin);

        f.Clock.Advance(TimeSpan.FromSeconds(31));
        await TeamFixture.RunTimersAsync(f);
        var list = await editor.GetFromJsonAsync<JsonElement>("/api/v1/notifications?unread=true");
        var vip = Assert.Single(list.EnumerateArray(), n => n.GetProperty("kind").GetString() == "vip_waiting"
            && n.GetProperty("data").GetProperty("subjectId").GetGuid() == conversation);
        Assert.False(vip.GetProperty("read").GetBoolean());
        Assert.Equal(1, await f.Db.CountAsync("from entity_events where type = 'notification.created' and entity_id = @c", ("c", conversation)));
        Assert.Equal(editorBefore + 1, await UnreadAsync(editor));
        Assert.Equal(adminBefore + 1, await UnreadAsync(admin));

        var marked = await editor.PostAsJsonAsync("/api/v1/notifications/read", new { ids = new[] { vip.GetProperty("id").GetInt64() } });
        Assert.Equal(editorBefore, (await marked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("unread").GetInt32());
        Assert.Equal(adminBefore + 1, await UnreadAsync(admin));                       // the other supervisor has not read it
        var again = await editor.GetFromJsonAsync<JsonElement>("/api/v1/notifications");
        Assert.True(again.EnumerateArray().Single(n => n.GetProperty("id").GetInt64() == vip.GetProperty("id").GetInt64())
            .GetProperty("read").GetBoolean());
        Assert.Equal(0, (await (await admin.PostAsJsonAsync("/api/v1/notifications/read", new { })).Content
            .ReadFromJsonAsync<JsonElement>()).GetProperty("unread").GetInt32());   // all of them

        Assert.Equal(HttpStatusCode.Forbidden, (await agentClient.GetAsync("/api/v1/notifications")).StatusCode);
        var keyOnly = await f.Admin.PostAsJsonAsync("/api/v1/notifications/read", new { });
        Assert.Equal(HttpStatusCode.BadRequest, keyOnly.StatusCode);
        Assert.Equal("user_required", (await keyOnly.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }
}
