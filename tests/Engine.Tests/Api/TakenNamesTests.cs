using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>Names people pick are unique where they must be: a taken one is a 409 with its code, and nothing of the
/// refused write stays.</summary>
public class TakenNamesTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    private static async Task<string> CodeOf(HttpResponseMessage r)
    {
        Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString()!;
    }

    [Fact]
    public async Task A_team_name_is_taken_once_by_creating_or_renaming()
    {
        var name = $"Billing {Guid.NewGuid():N}"[..24];
        (await f.Admin.PostAsJsonAsync("/api/v1/teams", new { name, strategy = "manual" })).EnsureSuccessStatusCode();
        var other = JsonDocument.Parse(await (await f.Admin.PostAsJsonAsync("/api/v1/teams",
            new { name = name + " 2", strategy = "manual" })).Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();

        Assert.Equal("team_exists", await CodeOf(await f.Admin.PostAsJsonAsync("/api/v1/teams", new { name, strategy = "manual" })));
        Assert.Equal("team_exists", await CodeOf(await f.Admin.PatchAsJsonAsync($"/api/v1/teams/{other}", new { name })));
        Assert.Equal(1, await f.Db.CountAsync("from teams where name = @n", ("n", name)));
        Assert.Equal(1, await f.Db.CountAsync("from teams where name = @n", ("n", name + " 2")));
    }

    [Fact]
    public async Task An_email_belongs_to_one_user()
    {
        var email = $"taken-{Guid.NewGuid():N}@example.com";
        var user = new { email, name = "First", role = "Agent", password = "first-password-1" };
        (await f.Admin.PostAsJsonAsync("/api/v1/users", user)).EnsureSuccessStatusCode();

        Assert.Equal("email_taken", await CodeOf(await f.Admin.PostAsJsonAsync("/api/v1/users", user with { name = "Second" })));
        Assert.Equal(1, await f.Db.CountAsync("from users where email = @e", ("e", email)));
    }

    [Fact]
    public async Task A_shortcut_belongs_to_one_quick_reply()
    {
        var versions = new[] { new { scenario = "standard", text = "Thanks!" } };
        (await f.Admin.PostAsJsonAsync("/api/v1/quick-replies", new { shortcut = "/thanks", name = "Thanks", versions })).EnsureSuccessStatusCode();
        var other = JsonDocument.Parse(await (await f.Admin.PostAsJsonAsync("/api/v1/quick-replies",
            new { shortcut = "/bye", name = "Bye", versions })).Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();

        Assert.Equal("shortcut_taken", await CodeOf(await f.Admin.PatchAsJsonAsync($"/api/v1/quick-replies/{other}",
            new { shortcut = "/thanks" })));
        Assert.Equal(1, await f.Db.CountAsync("from quick_replies where shortcut = '/bye'"));
    }
}
