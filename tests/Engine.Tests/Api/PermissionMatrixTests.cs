using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Api;

/// <summary>Every endpoint × every role: 403 exactly for the roles the endpoint does not admit.</summary>
public class PermissionMatrixTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    private const string A = "Administrator", E = "Editor", G = "Agent", N = "Analyst";
    private static readonly string[] All = [A, E, G, N];

    /// <summary>The contract: who may call what. A new endpoint must be added here (the test fails otherwise).</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["GET /api/v1/channels/"] = [A, E, G], ["POST /api/v1/channels/"] = [A], ["GET /api/v1/channels/{id:guid}"] = [A],
        ["PATCH /api/v1/channels/{id:guid}"] = [A], ["POST /api/v1/channels/{id:guid}/disable"] = [A], ["POST /api/v1/channels/{id:guid}/enable"] = [A],
        ["GET /api/v1/api-keys/"] = [A], ["POST /api/v1/api-keys/"] = [A], ["DELETE /api/v1/api-keys/{id:guid}"] = [A],
        ["GET /api/v1/nodes"] = [A], ["GET /api/v1/audit"] = [A],
        // Orleans' dashboard: every route of it, page and data alike.
        ["GET /dashboard/"] = [A], ["GET /dashboard/index.html"] = [A], ["GET /dashboard/favicon.ico"] = [A],
        ["GET /dashboard/index.min.js"] = [A], ["GET /dashboard/index.css"] = [A], ["GET /dashboard/fonts/{**path}"] = [A],
        ["GET /dashboard/img/{**path}"] = [A], ["GET /dashboard/version"] = [A], ["GET /dashboard/DashboardCounters"] = [A],
        ["GET /dashboard/ClusterStats"] = [A], ["GET /dashboard/Reminders"] = [A], ["GET /dashboard/Reminders/{page:int}"] = [A],
        ["GET /dashboard/HistoricalStats/{*path}"] = [A], ["GET /dashboard/SiloProperties/{*address}"] = [A],
        ["GET /dashboard/SiloMetadata/{*address}"] = [A], ["GET /dashboard/SiloStats/{*address}"] = [A],
        ["GET /dashboard/SiloCounters/{*address}"] = [A], ["GET /dashboard/GrainStats/{*grainName}"] = [A],
        ["GET /dashboard/TopGrainMethods"] = [A], ["GET /dashboard/GrainState"] = [A], ["GET /dashboard/LifecycleStages"] = [A],
        ["GET /dashboard/GrainTypes"] = [A], ["GET /dashboard/Trace"] = [A],
        ["GET /api/v1/users/"] = [A, E], ["POST /api/v1/users/"] = [A], ["GET /api/v1/users/{id:guid}"] = [A, E],
        ["PATCH /api/v1/users/{id:guid}"] = [A], ["POST /api/v1/users/{id:guid}/disable"] = [A],
        ["GET /api/v1/teams/"] = [A, E, G], ["POST /api/v1/teams/"] = [A], ["GET /api/v1/teams/{id:guid}"] = [A, E], ["PATCH /api/v1/teams/{id:guid}"] = [A],
        ["GET /api/v1/teams/{id:guid}/hours"] = [A, E], ["PUT /api/v1/teams/{id:guid}/hours"] = [A], ["DELETE /api/v1/teams/{id:guid}/hours"] = [A],
        ["GET /api/v1/settings/"] = [A, E], ["PATCH /api/v1/settings/"] = [A],
        ["GET /api/v1/conversations/"] = [A, E, G], ["GET /api/v1/conversations/{id:guid}"] = [A, E, G],
        ["GET /api/v1/conversations/{id:guid}/messages"] = [A, E, G], ["POST /api/v1/conversations/{id:guid}/messages"] = [A, E, G],
        ["GET /api/v1/messages/{id:guid}/media"] = [A, E, G],
        ["POST /api/v1/conversations/{id:guid}/attachments"] = [A, E, G],
        ["POST /api/v1/conversations"] = [A, E],   // agents too when the business allows it (StartConversationTests)
        ["GET /api/v1/conversations/{id:guid}/attachments/{attachmentId:guid}"] = [A, E, G],
        ["GET /api/v1/channels/{id:guid}/templates/"] = [A, E, G], ["POST /api/v1/channels/{id:guid}/templates/sync"] = [A],
        ["POST /api/v1/conversations/{id:guid}/lock"] = [A, E, G], ["POST /api/v1/conversations/{id:guid}/unlock"] = [A, E, G],
        ["POST /api/v1/conversations/{id:guid}/assign"] = [A, E], ["POST /api/v1/conversations/{id:guid}/claim"] = [A, E, G],
        ["POST /api/v1/conversations/claim"] = [A, E, G], ["POST /api/v1/conversations/{id:guid}/transfer"] = [A, E, G],
        ["POST /api/v1/conversations/{id:guid}/escalate"] = [A, E, G], ["POST /api/v1/conversations/{id:guid}/resolve"] = [A, E, G],
        ["POST /api/v1/conversations/{id:guid}/reopen"] = [A, E], ["GET /api/v1/conversations/{id:guid}/notes"] = [A, E, G],
        ["POST /api/v1/conversations/{id:guid}/notes"] = [A, E, G],
        ["GET /api/v1/contacts/"] = [A, E, G], ["GET /api/v1/contacts/{id:guid}"] = [A, E, G], ["PATCH /api/v1/contacts/{id:guid}"] = [A, E],
        ["DELETE /api/v1/contacts/{id:guid}"] = [A],
        ["GET /api/v1/usage"] = [A, E, N],
        ["GET /api/v1/contacts/{id:guid}/conversations"] = [A, E, G], ["GET /api/v1/contacts/{id:guid}/notes"] = [A, E, G],
        ["POST /api/v1/contacts/{id:guid}/notes"] = [A, E, G], ["POST /api/v1/contacts/{id:guid}/merge"] = [A, E],
        ["PUT /api/v1/contacts/{id:guid}/language"] = [A, E, G],
        ["GET /api/v1/contact-attributes/"] = [A, E, G], ["POST /api/v1/contact-attributes/"] = [A],
        ["POST /api/v1/crm/events"] = [A, E],
        ["POST /api/v1/webhooks/"] = [A], ["GET /api/v1/webhooks/"] = [A], ["GET /api/v1/webhooks/{id:guid}"] = [A], ["PATCH /api/v1/webhooks/{id:guid}"] = [A],
        ["DELETE /api/v1/webhooks/{id:guid}"] = [A], ["GET /api/v1/webhooks/{id:guid}/attempts"] = [A], ["GET /api/v1/webhooks/{id:guid}/deliveries"] = [A],
        ["POST /api/v1/webhooks/{id:guid}/replay"] = [A], ["GET /api/v1/notifications/"] = [A, E], ["GET /api/v1/notifications/unread"] = [A, E], ["POST /api/v1/notifications/read"] = [A, E],
        ["POST /api/v1/auto-replies/"] = [A], ["GET /api/v1/auto-replies/"] = [A, E], ["GET /api/v1/auto-replies/{id:guid}"] = [A, E],
        ["PATCH /api/v1/auto-replies/{id:guid}"] = [A, E], ["DELETE /api/v1/auto-replies/{id:guid}"] = [A], ["POST /api/v1/auto-replies/dry-run"] = [A, E],
        ["POST /api/v1/routing-rules/"] = [A], ["GET /api/v1/routing-rules/"] = [A, E], ["DELETE /api/v1/routing-rules/{id:guid}"] = [A],
        ["GET /api/v1/business-hours/"] = [A, E], ["PUT /api/v1/business-hours/"] = [A],
        ["POST /api/v1/auto-replies/test-set"] = [A], ["GET /api/v1/auto-replies/match-rate"] = [A, E, N],
        ["POST /api/v1/bot-flows/"] = [A], ["GET /api/v1/bot-flows/"] = [A, E], ["GET /api/v1/bot-flows/{key}/versions"] = [A, E],
        ["POST /api/v1/quick-replies/"] = [A, E], ["GET /api/v1/quick-replies/"] = [A, E, G], ["PATCH /api/v1/quick-replies/{id:guid}"] = [A, E],
        ["DELETE /api/v1/quick-replies/{id:guid}"] = [A, E],
        ["POST /api/v1/quick-replies/{id:guid}/render"] = [A, E, G], ["GET /api/v1/quick-replies/usage"] = [A, E, N],
        ["GET /api/v1/reports/csat"] = [A, E, N], ["GET /api/v1/reports/summary"] = [A, E, N], ["GET /api/v1/reports/conversations.csv"] = [A, E, N],
        ["GET /api/v1/reports/agents"] = [A, E, N], ["GET /api/v1/reports/heatmap"] = [A, E, N], ["GET /api/v1/reports/daily"] = [A, E, N],
        ["GET /api/v1/reports/weekly"] = [A, E, N], ["GET /api/v1/alerts"] = [A, E, N], ["GET /api/v1/alert-rules/"] = [A, E, N], ["PUT /api/v1/alert-rules/"] = [A],
        ["POST /api/v1/labels/"] = [A], ["GET /api/v1/labels/"] = [A, E, G], ["GET /api/v1/labels/usage"] = [A, E, N], ["POST /api/v1/label-rules"] = [A], ["GET /api/v1/label-rules"] = [A, E],
        ["PATCH /api/v1/labels/{id:guid}"] = [A], ["DELETE /api/v1/labels/{id:guid}"] = [A], ["DELETE /api/v1/label-rules/{id:guid}"] = [A],
        ["PATCH /api/v1/label-rules/{id:guid}"] = [A],
        ["POST /api/v1/conversations/{id:guid}/labels"] = [A, E, G], ["DELETE /api/v1/conversations/{id:guid}/labels/{labelId:guid}"] = [A, E, G],
        ["POST /api/v1/auth/logout"] = All, ["GET /api/v1/me/"] = All, ["POST /api/v1/me/presence"] = All, ["POST /api/v1/me/heartbeat"] = All, ["GET /api/v1/stream"] = All,
    };

    /// <summary>Open by design: provider webhooks (signed), log-in, health, the OpenAPI document.</summary>
    private static readonly string[] Anonymous = ["/webhooks/", "/api/v1/auth/login", "/health", "/swagger"];

    private IEnumerable<string> Endpoints() => f.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
        .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} /{e.RoutePattern.RawText!.TrimStart('/')}"))
        .Where(k => !Anonymous.Any(a => k.Split(' ')[1].StartsWith(a)));

    [Fact]
    public void Every_endpoint_declares_its_roles_here() =>
        Assert.Empty(Endpoints().Except(Allowed.Keys).Order());

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in Allowed.Keys) foreach (var role in All) data.Add(endpoint, role);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_role_is_admitted_or_refused_as_declared(string endpoint, string role)
    {
        var key = await KeyAsync(role);
        var request = RequestFor(endpoint);
        var client = f.Host.WithKey(key);
        // Headers only: the live stream never ends, and the status is all this test needs.
        using var r = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (Allowed[endpoint].Contains(role))
        {
            if (r.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
                Assert.Fail($"{role} {endpoint}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        }
        else
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
    }

    /// <summary>Keys issued for a user follow the user: an Agent made Editor acts as an Editor; a disabled user's key
    /// is refused.</summary>
    public static TheoryData<string, string> UserBoundCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in Allowed.Keys) foreach (var who in new[] { "agent-made-editor", "disabled" }) data.Add(endpoint, who);
        return data;
    }

    [Theory]
    [MemberData(nameof(UserBoundCases))]
    public async Task Keys_follow_their_users_role_changes_and_disabling(string endpoint, string who)
    {
        var key = await KeyAsync(who);
        var request = RequestFor(endpoint);
        using var r = await f.Host.WithKey(key).SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (who == "disabled") Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        else if (Allowed[endpoint].Contains(E)) Assert.NotEqual(HttpStatusCode.Forbidden, r.StatusCode);
        else Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
    }

    private static HttpRequestMessage RequestFor(string endpoint)
    {
        var (method, pattern) = (endpoint.Split(' ')[0], endpoint.Split(' ')[1]);
        var request = new HttpRequestMessage(new HttpMethod(method),
            System.Text.RegularExpressions.Regex.Replace(pattern, @"\{\w+:guid\}", Guid.Empty.ToString()).Replace("{key}", "some-flow")
            .Replace("{page:int}", "1"));
        if (method is "POST" or "PATCH" or "PUT") request.Content = JsonContent.Create(new { });
        return request;
    }

    private static readonly Dictionary<string, string> Keys = [];
    private static readonly SemaphoreSlim KeyLock = new(1, 1);

    private async Task<string> KeyAsync(string role)
    {
        await KeyLock.WaitAsync();
        try
        {
            var cacheKey = $"{f.Db.Name}:{role}";
            if (Keys.TryGetValue(cacheKey, out var known)) return known;
            // A key issued for a user of that role: it acts as a person would. The special users start as Agents.
            var given = All.Contains(role) ? role : G;
            var user = await f.Admin.PostAsJsonAsync("/api/v1/users", new { email = $"{role}.{Guid.NewGuid():N}@matrix.test", name = $"{role} person", role = given, password = "matrix-password-1" });
            var userId = JsonDocument.Parse(await user.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
            var r = await f.Admin.PostAsJsonAsync("/api/v1/api-keys", new { name = $"{role} matrix", role = given, userId });
            var key = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;
            if (role == "agent-made-editor") (await f.Admin.PatchAsJsonAsync($"/api/v1/users/{userId}", new { role = E })).EnsureSuccessStatusCode();
            if (role == "disabled") (await f.Admin.PostAsync($"/api/v1/users/{userId}/disable", null)).EnsureSuccessStatusCode();
            return Keys[cacheKey] = key;
        }
        finally { KeyLock.Release(); }
    }
}
