using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Silo.Runtime;

namespace Engine.Tests.Infrastructure;

/// <summary>An engine with the fake provider, and helpers to make agents (signed in), teams and customers.</summary>
public sealed class TeamFixture
{
    public static async Task<(Guid Id, HttpClient Client)> AgentAsync(OutboundFixture f, string name, int capacity = 5, string role = "Agent",
        string[]? skills = null, string tier = "frontline", bool online = true)
    {
        var email = $"{name.ToLowerInvariant().Replace(' ', '.')}.{Guid.NewGuid():N}@example.com";
        var created = await f.Admin.PostAsJsonAsync("/api/v1/users", new { email, name, role, password = "correct horse battery", capacity, skills, tier });
        created.EnsureSuccessStatusCode();
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        Emails[id] = email;
        return (id, await SignInAsync(f, id, online));
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, string> Emails = new();

    public const string Password = "correct horse battery";

    public static string EmailOf(Guid user) => Emails[user];

    /// <summary>Logs the user in (sessions last 12 hours) and optionally sets them online.</summary>
    public static async Task<HttpClient> SignInAsync(OutboundFixture f, Guid user, bool online = true)
    {
        var login = await f.Host.CreateClient().PostAsJsonAsync("/api/v1/auth/login", new { email = Emails[user], password = "correct horse battery" });
        login.EnsureSuccessStatusCode();
        var token = JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        var client = f.Host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (online) (await client.PostAsJsonAsync("/api/v1/me/presence", new { presence = "online" })).EnsureSuccessStatusCode();
        return client;
    }

    public static async Task<Guid> TeamAsync(OutboundFixture f, string name, string strategy, IEnumerable<Guid> members, bool isDefault = false, string[]? skills = null)
    {
        var r = await f.Admin.PostAsJsonAsync("/api/v1/teams", new { name = $"{name} {Guid.NewGuid():N}"[..30], strategy, members, isDefault, requiredSkills = skills });
        r.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
    }

    public static async Task<JsonElement> ConversationAsync(OutboundFixture f, Guid id) =>
        await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{id}");

    public static Guid? Assignee(JsonElement c) => c.GetProperty("assigneeId").ValueKind == JsonValueKind.Null ? null : c.GetProperty("assigneeId").GetGuid();

    public static async Task RunTimersAsync(OutboundFixture f) => await f.Host.Service<DeadlineSweep>().RunDueAsync(CancellationToken.None);
}
