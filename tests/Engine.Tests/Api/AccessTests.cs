using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>API keys: shown once, stored hashed, revocable; and the OpenAPI document.</summary>
public class AccessTests(EngineFixture f) : IClassFixture<EngineFixture>
{
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
        // Request bodies come with examples.
        Assert.Contains("order-7781-paid", doc);
        Assert.Contains("https://crm.example.com/hooks/engine", doc);
        Assert.Contains("/api/v1/webhooks", doc);
        var ui = await f.Host.CreateClient().GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }

}
