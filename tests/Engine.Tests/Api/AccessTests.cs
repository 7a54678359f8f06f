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

    [Fact]
    public async Task The_openapi_document_declares_the_bearer_scheme_and_each_operations_error_answers()
    {
        var doc = System.Text.Json.JsonDocument.Parse(await f.Host.CreateClient().GetStringAsync("/swagger/v1/swagger.json")).RootElement;
        var scheme = doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        var paths = doc.GetProperty("paths");
        System.Text.Json.JsonElement Op(string path, string method) => paths.GetProperty(path).GetProperty(method);
        string[] Responses(System.Text.Json.JsonElement op) => op.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToArray();

        var channels = Op("/api/v1/channels", "get");
        Assert.True(channels.GetProperty("security")[0].TryGetProperty("bearer", out _));
        Assert.Contains("401", Responses(channels));
        Assert.Contains("403", Responses(channels));
        var resolve = Op("/api/v1/conversations/{id}/resolve", "post");
        Assert.Contains("404", Responses(resolve));
        Assert.Contains("409", Responses(resolve));
        Assert.Contains("already_resolved", resolve.GetProperty("responses").GetProperty("409").GetProperty("description").GetString());
        Assert.Contains("400", Responses(Op("/api/v1/channels", "post")));
        // An operation that declares its refusals lists exactly those, under the status each answers with.
        string Answer(string path, string method, string status) =>
            Op(path, method).GetProperty("responses").GetProperty(status).GetProperty("description").GetString()!;
        Assert.Contains("`conversation_locked`", Answer("/api/v1/conversations/{id}/lock", "post", "409"));
        Assert.Contains("`not_assigned`", Answer("/api/v1/conversations/{id}/lock", "post", "403"));
        Assert.Contains("`forbidden`", Answer("/api/v1/conversations/{id}/lock", "post", "403"));
        Assert.EndsWith("code `conversation_open`.", Answer("/api/v1/contacts/{id}", "delete", "409"));
        Assert.Contains("`idempotency_key_reused`", Answer("/api/v1/conversations/{id}/messages", "post", "422"));
        Assert.Contains("`window_closed`", Answer("/api/v1/conversations/{id}/messages", "post", "409"));
        Assert.DoesNotContain("idempotency_key_reused", Answer("/api/v1/conversations/{id}/messages", "post", "409"));
        // … and they are what the API answers.
        (await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.TextDelivery("447900061001", Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), "hi"))).EnsureSuccessStatusCode();
        var contact = await f.Db.ScalarAsync<Guid>("select id from contacts where external_id = '447900061001'");
        var self = await f.Admin.PostAsJsonAsync($"/api/v1/contacts/{contact}/merge", new { sourceContactId = contact });
        Assert.Equal(HttpStatusCode.BadRequest, self.StatusCode);
        Assert.Contains("\"code\":\"invalid_merge\"", await self.Content.ReadAsStringAsync());
        Assert.Contains("`invalid_merge`", Answer("/api/v1/contacts/{id}/merge", "post", "400"));
        // Anonymous by design: no credentials asked, no 401 promised.
        var login = Op("/api/v1/auth/login", "post");
        Assert.False(login.TryGetProperty("security", out _));
        Assert.DoesNotContain("403", Responses(login));

        // What Swagger UI's "Authorize" sends is what the API takes.
        var client = f.Host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", EngineHost.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/channels")).StatusCode);
    }

}
