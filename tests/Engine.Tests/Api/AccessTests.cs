using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>API keys and the endpoint × role permission matrix for the endpoints that exist so far.</summary>
public class AccessTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    public static TheoryData<string, string, string, bool> Matrix()
    {
        var endpoints = new (string Method, string Path, string[] Allowed)[]
        {
            ("GET", "/api/v1/channels", ["Administrator"]),
            ("GET", "/api/v1/api-keys", ["Administrator"]),
            ("GET", "/api/v1/nodes", ["Administrator"]),
            ("GET", "/api/v1/conversations", ["Administrator", "Editor", "Agent"]),
            ("GET", "/api/v1/contacts", ["Administrator", "Editor", "Agent"]),
            ("POST", $"/api/v1/conversations/{Guid.Empty}/messages", ["Administrator", "Editor", "Agent"]),
            ("GET", "/api/v1/usage", ["Administrator", "Editor", "Analyst"]),
        };
        var data = new TheoryData<string, string, string, bool>();
        foreach (var (method, path, allowed) in endpoints)
            foreach (var role in new[] { "Administrator", "Editor", "Agent", "Analyst" })
                data.Add(method, path, role, allowed.Contains(role));
        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Each_endpoint_admits_exactly_its_roles(string method, string path, string role, bool allowed)
    {
        var key = await KeyFor(role);
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") request.Content = JsonContent.Create(new { type = "text", text = "hi" });
        var r = await f.Host.WithKey(key).SendAsync(request);
        // Allowed: the request gets past authorisation (the message endpoint then answers 404 for the empty id).
        if (allowed) Assert.True(r.IsSuccessStatusCode || r.StatusCode == HttpStatusCode.NotFound, $"{role} {method} {path}: {r.StatusCode}");
        else Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ek_not_a_key")]
    public async Task Without_a_valid_key_the_api_answers_401_with_a_problem(string? key)
    {
        var client = key is null ? f.Host.CreateClient() : f.Host.WithKey(key);
        var r = await client.GetAsync("/api/v1/conversations");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("unauthenticated", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_key_is_shown_once_stored_hashed_and_stops_working_when_revoked()
    {
        var r = await f.Admin.PostAsJsonAsync("/api/v1/api-keys", new { name = "crm", role = "Editor" });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        var key = body.GetProperty("key").GetString()!;
        var id = body.GetProperty("info").GetProperty("id").GetGuid();
        Assert.Equal(1, await f.Db.CountAsync("from api_keys where key_hash = sha256(convert_to(@k, 'UTF8'))", ("k", key)));
        Assert.Equal(0, await f.Db.CountAsync("from api_keys where position(@k in name || prefix) > 0", ("k", key)));
        Assert.DoesNotContain(key, await f.Admin.GetStringAsync("/api/v1/api-keys"));

        var client = f.Host.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/conversations")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await f.Admin.DeleteAsync($"/api/v1/api-keys/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/conversations")).StatusCode);
    }

    [Fact]
    public async Task A_key_needs_a_known_role()
    {
        var r = await f.Admin.PostAsJsonAsync("/api/v1/api-keys", new { name = "x", role = "Owner" });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("role", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_openapi_document_and_swagger_ui_are_served()
    {
        var doc = await f.Host.CreateClient().GetStringAsync("/swagger/v1/swagger.json");
        Assert.Contains("/webhooks/whatsapp/{channelId}", doc);
        Assert.Contains("/api/v1/conversations", doc);
        var ui = await f.Host.CreateClient().GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }

    private async Task<string> KeyFor(string role)
    {
        var r = await f.Admin.PostAsJsonAsync("/api/v1/api-keys", new { name = $"{role} key", role });
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;
    }
}
