using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>A WhatsApp channel's templates, synced page by page from its business account on the (fake) Graph API,
/// listed with their parameter slots, kept current by status webhooks at once and re-synced by the daily check.</summary>
public class TemplateCatalogTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private const string Waba = "102290129340398";

    private async Task<JsonElement[]> ListAsync(string query = "") =>
        (await f.Admin.GetFromJsonAsync<JsonElement[]>($"/api/v1/channels/{f.WhatsAppChannel}/templates{query}"))!;

    private async Task<HttpResponseMessage> SyncAsync() =>
        await f.Admin.PostAsync($"/api/v1/channels/{f.WhatsAppChannel}/templates/sync", null);

    [Fact]
    public async Task Templates_are_synced_page_by_page_listed_with_their_slots_and_updated_by_webhook()
    {
        // Without the business account id there is nothing to sync from.
        var unset = await SyncAsync();
        Assert.Equal(HttpStatusCode.Conflict, unset.StatusCode);
        Assert.Contains("\"code\":\"not_configured\"", await unset.Content.ReadAsStringAsync());
        (await f.Admin.PatchAsJsonAsync($"/api/v1/channels/{f.WhatsAppChannel}", new { businessAccountId = Waba }))
            .EnsureSuccessStatusCode();

        var shipped = f.Provider.AddTemplate(Waba, "order_shipped", "en_US", "Hi {{1}}, order {{2}} ships by {{3}}.");
        f.Provider.AddTemplate(Waba, "order_shipped", "pt_BR", "Olá {{1}}, o pedido {{2}} sai até {{3}}.");
        f.Provider.AddTemplate(Waba, "welcome_back", "en_US", "Welcome back!", status: "PENDING", category: "MARKETING");
        f.Provider.TemplatePageSize = 2;   // three templates: two pages
        var sync = await SyncAsync();
        Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
        var counts = await sync.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, counts.GetProperty("templates").GetInt32());
        Assert.Equal(2, counts.GetProperty("approved").GetInt32());

        var approved = await ListAsync("?status=approved&language=en_US");
        var template = Assert.Single(approved);
        Assert.Equal("order_shipped", template.GetProperty("name").GetString());
        Assert.Equal(3, template.GetProperty("bodyParameters").GetInt32());
        Assert.Equal(shipped, template.GetProperty("providerId").GetString());
        Assert.Equal(3, (await ListAsync()).Length);

        // Meta pauses the template: applied at once from the webhook.
        var paused = $$"""
            {"object":"whatsapp_business_account","entry":[{"id":"{{Waba}}","time":1760000000,"changes":[{"value":{
              "event":"PAUSED","message_template_id":{{shipped}},"message_template_name":"order_shipped",
              "message_template_language":"en_US","reason":"Low quality"},"field":"message_template_status_update"}]}]}
            """;
        Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, paused)).StatusCode);
        Assert.Empty(await ListAsync("?status=approved&language=en_US"));
        var now = Assert.Single(await ListAsync("?language=en_US"), t => t.GetProperty("name").GetString() == "order_shipped");
        Assert.Equal(("PAUSED", "Low quality"), (now.GetProperty("status").GetString(), now.GetProperty("reason").GetString()));

        // An update for another business account changes nothing.
        var foreign = paused.Replace(Waba, "999999999").Replace("PAUSED", "DISABLED");
        Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, foreign)).StatusCode);
        Assert.Equal("PAUSED", Assert.Single(await ListAsync("?language=en_US"),
            t => t.GetProperty("name").GetString() == "order_shipped").GetProperty("status").GetString());

        // A template deleted at Meta leaves the catalog at the daily sync.
        await TeamFixture.RunTimersAsync(f);   // the business's daily check is scheduled by the first sweep
        f.Provider.Templates[Waba].TryRemove("welcome_back|en_US", out _);
        f.Clock.Advance(TimeSpan.FromDays(1));
        await TeamFixture.RunTimersAsync(f);
        await f.DrainAsync();
        Assert.DoesNotContain(await ListAsync(), t => t.GetProperty("name").GetString() == "welcome_back");
        Assert.Equal("APPROVED", Assert.Single(await ListAsync("?language=en_US"),
            t => t.GetProperty("name").GetString() == "order_shipped").GetProperty("status").GetString());   // re-read

        // Sends are checked against the catalog: known, approved, as many parameters as the body has slots.
        var conversation = await f.CustomerWritesAsync("5511922" + Random.Shared.NextInt64(100_000, 999_999));
        async Task<(HttpStatusCode, string)> SendAsync(string name, string language, params string[] parameters)
        {
            var r = await f.SendAsync(conversation, new { type = "template", template = new { name, language, parameters } });
            return (r.StatusCode, await r.Content.ReadAsStringAsync());
        }
        var (status, body) = await SendAsync("order_shipped", "en_US", "Ana", "A-1");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("\"code\":\"template_parameters\"", body);
        (status, body) = await SendAsync("welcome_back", "en_US");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("\"code\":\"unknown_template\"", body);
        f.Provider.AddTemplate(Waba, "survey", "en_US", "How did we do?", status: "PAUSED");
        (await SyncAsync()).EnsureSuccessStatusCode();
        (status, body) = await SendAsync("survey", "en_US");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("\"code\":\"template_not_approved\"", body);
        (status, _) = await SendAsync("order_shipped", "en_US", "Ana", "A-1", "Friday");
        Assert.Equal(HttpStatusCode.Accepted, status);
        await f.DrainAsync();
        Assert.Contains(f.Provider.Sent, m => m.Type == "template" && m.Body.Contains("order_shipped") && m.Body.Contains("Friday"));
    }

    [Fact]
    public async Task Agents_read_the_catalog_only_administrators_sync_and_wechat_has_none()
    {
        var (_, agent) = await TeamFixture.AgentAsync(f, "Tia Templates", online: false);
        Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync($"/api/v1/channels/{f.WhatsAppChannel}/templates")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await agent.PostAsync($"/api/v1/channels/{f.WhatsAppChannel}/templates/sync", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await f.Admin.GetAsync($"/api/v1/channels/{f.WeChatChannel}/templates")).StatusCode);
        var bad = await f.Admin.PatchAsJsonAsync($"/api/v1/channels/{f.WhatsAppChannel}", new { businessAccountId = "waba" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("businessAccountId", await bad.Content.ReadAsStringAsync());
    }
}

