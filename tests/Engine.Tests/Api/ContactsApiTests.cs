using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Engine.Api.Webhooks.WeChat;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>Customers through the API: profile, attributes, search, notes, merging across channels, CRM events, the matching rule.</summary>
public class ContactsApiTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private async Task<Guid> WhatsAppContactAsync(string waId, string name = "Ana Lima")
    {
        await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, Wa.TextDelivery(waId, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), "hi", name));
        return await f.Db.ScalarAsync<Guid>("select id from contacts where external_id = @e", ("e", waId));
    }

    private async Task<Guid> WeChatContactAsync(string openId)
    {
        var ts = f.Clock.GetUtcNow().ToUnixTimeSeconds().ToString();
        var xml = $"<xml><ToUserName>gh</ToUserName><FromUserName>{openId}</FromUserName><CreateTime>{ts}</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>{Random.Shared.NextInt64(1, long.MaxValue)}</MsgId></xml>";
        (await WeChatCallbacks.PostAsync(f.Host.CreateClient(), f.WeChatChannel, xml, f.Clock.GetUtcNow())).EnsureSuccessStatusCode();
        return await f.Db.ScalarAsync<Guid>("select id from contacts where external_id = @e", ("e", openId));
    }

    private async Task<JsonElement> ContactAsync(Guid id) => await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/contacts/{id}");

    [Fact]
    public async Task Profile_fields_and_declared_attributes_are_set_validated_and_searchable()
    {
        var id = await WhatsAppContactAsync("6281311110001");
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.PostAsJsonAsync("/api/v1/contact-attributes", new { key = "shoe_size", type = "number", label = "Shoe size" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.PostAsJsonAsync("/api/v1/contact-attributes", new { key = "member_since", type = "date", label = "Member since" })).StatusCode);

        var undeclared = await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{id}", new { attributes = new { favourite = "red" } });
        Assert.Equal(HttpStatusCode.BadRequest, undeclared.StatusCode);
        Assert.Equal("invalid_attribute", JsonDocument.Parse(await undeclared.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{id}", new { attributes = new { shoe_size = "big" } })).StatusCode);

        var ok = await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{id}", new
        {
            email = "siti@example.com", country = "id", language = "id", phone = "+62 813 1111 0001",
            attributes = new Dictionary<string, object> { ["shoe_size"] = 38, ["member_since"] = "2024-05-01" }, tags = new[] { "loyal" },
            lifetimeSpend = 120.50m, lastOrder = new { id = "A-100", amount = 20, currency = "IDR", at = "2026-02-01T10:00:00Z" },
        });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var c = await ContactAsync(id);
        Assert.Equal("+6281311110001", c.GetProperty("phoneE164").GetString());
        Assert.Equal(38, c.GetProperty("attributes").GetProperty("shoe_size").GetDecimal());
        Assert.Equal("ID", c.GetProperty("country").GetString());
        Assert.Equal(120.50m, c.GetProperty("lifetimeSpend").GetDecimal());

        async Task<int> Found(string query) => (await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/contacts?{query}")).GetProperty("items").GetArrayLength();
        Assert.Equal(1, await Found("phone=%2B62%20813-1111-0001"));
        Assert.Equal(1, await Found("email=SITI@example.com"));
        Assert.Equal(1, await Found("attribute=shoe_size%3D38"));
        Assert.Equal(1, await Found("search=siti"));
        Assert.Equal(0, await Found("attribute=shoe_size%3D39"));
    }

    [Fact]
    public async Task Merging_two_channels_makes_one_customer_with_both_histories_and_is_audited()
    {
        var whatsApp = await WhatsAppContactAsync("5511955550001", "Ana Lima");
        var weChat = await WeChatContactAsync("oMergeMe0000000000000000001");
        await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{weChat}", new { name = "Ana L.", email = "ana@example.com", vip = true, lifetimeSpend = 30m });
        await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{whatsApp}", new { lifetimeSpend = 70m });

        var merged = await f.Admin.PostAsJsonAsync($"/api/v1/contacts/{whatsApp}/merge", new { sourceContactId = weChat, preferSource = new[] { "email" } });
        Assert.Equal(HttpStatusCode.OK, merged.StatusCode);
        var c = JsonDocument.Parse(await merged.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Ana Lima", c.GetProperty("name").GetString());       // conflict: the target's name stays
        Assert.Equal("ana@example.com", c.GetProperty("email").GetString());
        Assert.True(c.GetProperty("vip").GetBoolean());
        Assert.Equal(100m, c.GetProperty("lifetimeSpend").GetDecimal());
        Assert.Equal([weChat], c.GetProperty("mergedIdentities").EnumerateArray().Select(x => x.GetGuid()));

        var history = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/contacts/{whatsApp}/conversations");
        Assert.Equal(new[] { f.WhatsAppChannel, f.WeChatChannel }.Order(), history.EnumerateArray().Select(h => h.GetProperty("channelId").GetGuid()).Order());
        var list = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/contacts?search=oMergeMe");
        Assert.Empty(list.GetProperty("items").EnumerateArray());           // merged away
        Assert.Equal(HttpStatusCode.Conflict, (await f.Admin.PostAsJsonAsync($"/api/v1/contacts/{whatsApp}/merge", new { sourceContactId = weChat })).StatusCode);
        var audit = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?action=contact.merged&entityId={whatsApp}");
        Assert.Single(audit.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task With_the_matching_rule_on_a_verified_phone_joins_the_existing_customer_even_without_the_ninth_digit()
    {
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { autoMergeVerifiedPhone = true })).StatusCode);
        var weChat = await WeChatContactAsync("oMatchRule00000000000000001");
        await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{weChat}", new { phone = "+55 21 98888-7777" });
        await f.DrainAsync();
        var whatsApp = await WhatsAppContactAsync("552188887777");           // wa_id without the ninth digit
        await f.DrainAsync();
        var c = await ContactAsync(whatsApp);
        Assert.Equal(weChat, c.GetProperty("mergedInto").GetGuid());
        await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { autoMergeVerifiedPhone = false });
    }

    [Fact]
    public async Task After_a_merge_every_identity_routes_by_the_customers_vip_dedicated_agent_and_sticky_owner()
    {
        var whatsApp = await WhatsAppContactAsync("5511955550077", "Rosa Root");
        var weChat = await WeChatContactAsync("oMergeRoutes00000000000000077");
        var (dedicated, dedicatedClient) = await TeamFixture.AgentAsync(f, "Dina Dedicated");
        var (member, _) = await TeamFixture.AgentAsync(f, "Milo Member");
        var team = await TeamFixture.TeamAsync(f, "Merged desk", "least_open", [member]);   // the dedicated agent is not in it
        (await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{whatsApp}", new { vip = true, dedicatedAgentId = dedicated, language = "pt" }))
            .EnsureSuccessStatusCode();
        (await f.Admin.PostAsJsonAsync($"/api/v1/contacts/{whatsApp}/merge", new { sourceContactId = weChat })).EnsureSuccessStatusCode();
        await f.DrainAsync();

        // The WeChat identity's open conversation is the VIP customer's now (re-prioritised by its grain), and goes to
        // the customer's dedicated agent.
        var conversation = await f.Db.ScalarAsync<Guid>("select id from conversations where contact_id = @c and status = 'open'", ("c", weChat));
        Assert.Equal(1, await f.Db.ScalarAsync<int>("select priority from conversations where id = @c", ("c", conversation)));
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "route" }))
            .EnsureSuccessStatusCode();
        await f.DrainAsync();
        Assert.Equal(dedicated, TeamFixture.Assignee(await TeamFixture.ConversationAsync(f, conversation)));

        // The agent who answers them on WeChat becomes the customer's sticky owner, whichever identity writes next.
        Assert.Equal(HttpStatusCode.Accepted, (await dedicatedClient.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages",
            new { type = "text", text = "Olá!" })).StatusCode);
        await f.DrainAsync();
        Assert.Equal(dedicated, await f.Db.ScalarAsync<object>("select last_agent_id from contacts where id = @c", ("c", whatsApp)));
    }

    [Fact]
    public async Task A_conversion_adds_to_spend_sets_the_last_order_counts_once_and_reaches_the_funnel()
    {
        var id = await WhatsAppContactAsync("6281322220002");
        var conversation = await f.Db.ScalarAsync<Guid>("select id from conversations where contact_id = @c", ("c", id));
        var body = new { eventId = "order-7781-paid", type = "conversion", phone = "+62 813 2222 0002", amount = 49.90m, currency = "usd", orderId = "7781", conversationId = conversation };
        var first = await f.Admin.PostAsJsonAsync("/api/v1/crm/events", body);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var again = JsonDocument.Parse(await (await f.Admin.PostAsJsonAsync("/api/v1/crm/events", body)).Content.ReadAsStringAsync()).RootElement;
        Assert.True(again.GetProperty("duplicate").GetBoolean());
        var c = await ContactAsync(id);
        Assert.Equal(49.90m, c.GetProperty("lifetimeSpend").GetDecimal());
        Assert.Equal("7781", c.GetProperty("lastOrder").GetProperty("id").GetString());
        Assert.Equal(1, await f.Db.CountAsync("from entity_events where entity_id = @c and type = 'conversation.converted'", ("c", conversation)));
        // The conversation's own grain marks it converted (the funnel reads that), once, as a follow-up of the event.
        await f.DrainAsync();
        Assert.Equal(1, await f.Db.CountAsync("from conversations where id = @c and converted_at = @t", ("c", conversation), ("t", f.Clock.GetUtcNow())));
        Assert.Equal(1, await f.Db.CountAsync("from audit_log where entity_id = @c::text and action = 'conversation.converted' and actor_id = 'engine'", ("c", conversation)));

        var update = await f.Admin.PostAsJsonAsync("/api/v1/crm/events", new { eventId = "crm-upd-1", type = "contact.update", contactId = id, profile = new { vip = true, name = "Budi" } });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        Assert.True((await ContactAsync(id)).GetProperty("vip").GetBoolean());
        // A VIP's open conversation goes to the front of its queue: re-prioritised by its grain.
        await f.DrainAsync();
        Assert.Equal(1, await f.Db.ScalarAsync<int>("select priority from conversations where id = @c", ("c", conversation)));
        Assert.Equal(1, await f.Db.CountAsync("from audit_log where entity_id = @c::text and action = 'conversation.prioritised'", ("c", conversation)));

        var unknown = await f.Admin.PostAsJsonAsync("/api/v1/crm/events", new { eventId = "x-1", type = "conversion", email = "nobody@example.com", amount = 1, currency = "USD" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var invalid = await f.Admin.PostAsJsonAsync("/api/v1/crm/events", new { eventId = "x-2", type = "conversion", contactId = id, amount = -1, currency = "USD" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task Contact_notes_are_kept_with_author_and_time()
    {
        var id = await WhatsAppContactAsync("6281333330003");
        Assert.Equal(HttpStatusCode.Created, (await f.Admin.PostAsJsonAsync($"/api/v1/contacts/{id}/notes", new { text = "Prefers calls after 6pm" })).StatusCode);
        var notes = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/contacts/{id}/notes");
        Assert.Equal("Prefers calls after 6pm", Assert.Single(notes.EnumerateArray()).GetProperty("text").GetString());
    }
}
