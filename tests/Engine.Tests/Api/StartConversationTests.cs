using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>
/// <c>POST /api/v1/conversations</c>: a person or an integrator writes first — to a phone number (kept in E.164) or an
/// existing contact — with an approved template; the customer's answer continues that conversation.
/// </summary>
public class StartConversationTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private const string Waba = "102290129340777";

    private static string Digits() => "5511977" + Random.Shared.NextInt64(100_000, 999_999);

    private static object Template(params string[] parameters) =>
        new { name = "order_update", language = "en_US", parameters };

    private static async Task<JsonElement> BodyOf(HttpResponseMessage r) => await r.Content.ReadFromJsonAsync<JsonElement>();

    [Fact]
    public async Task An_editor_starts_by_phone_number_and_the_customers_answer_continues_that_conversation()
    {
        var (editor, client) = await TeamFixture.AgentAsync(f, "Erin Editor", role: "Editor", online: false);
        var digits = Digits();
        var spaced = $"+{digits[..2]} {digits[2..4]} {digits[4..9]}-{digits[9..]}";
        var r = await client.PostAsJsonAsync("/api/v1/conversations",
            new { channelId = f.WhatsAppChannel, phone = spaced, template = Template("4411") });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var started = await BodyOf(r);
        var conversation = started.GetProperty("conversation");
        var id = conversation.GetProperty("id").GetGuid();
        Assert.Equal("open", conversation.GetProperty("status").GetString());
        Assert.Equal(editor, conversation.GetProperty("assigneeId").GetGuid());   // whoever starts it has it
        Assert.Equal("template", started.GetProperty("message").GetProperty("type").GetString());
        Assert.Equal("business_initiated", started.GetProperty("message").GetProperty("category").GetString());
        var contact = await f.Admin.GetFromJsonAsync<JsonElement>(
            $"/api/v1/contacts/{conversation.GetProperty("contact").GetProperty("id").GetGuid()}");
        Assert.Equal("+" + digits, contact.GetProperty("phoneE164").GetString());
        Assert.Equal(1, await f.Db.CountAsync("from entity_events where entity_id = @c and type = 'conversation.opened'", ("c", id)));

        await f.DrainAsync();
        var sent = Assert.Single(f.Provider.Sent, s => s.Recipient == digits);
        Assert.Equal("template", sent.Type);
        Assert.Equal("+" + digits, JsonDocument.Parse(sent.Body).RootElement.GetProperty("to").GetString());

        // The customer answers: the same conversation (their contact is the one WhatsApp's number names).
        (await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.TextDelivery(digits, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), "yes please"))).EnsureSuccessStatusCode();
        Assert.Equal(1, await f.Db.CountAsync(
            "from conversations v join contacts c on c.id = v.contact_id where c.external_id = @d", ("d", digits)));
        Assert.Equal(2, await f.Db.CountAsync("from messages where conversation_id = @c", ("c", id)));

        // A second start while it is open is refused, and points to it.
        var again = await client.PostAsJsonAsync("/api/v1/conversations",
            new { channelId = f.WhatsAppChannel, phone = "+" + digits, template = Template("4412") });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var refusal = await BodyOf(again);
        Assert.Equal("conversation_open", refusal.GetProperty("code").GetString());
        Assert.Contains(id.ToString(), refusal.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_integrator_starts_with_a_known_contact_once_per_idempotency_key()
    {
        // A customer who wrote before, whose conversation was resolved.
        var digits = Digits();
        var first = await f.CustomerWritesAsync(digits);
        (await f.Admin.PostAsync($"/api/v1/conversations/{first}/resolve", null)).EnsureSuccessStatusCode();
        var contact = await f.Db.ScalarAsync<Guid>("select contact_id from conversations where id = @c", ("c", first));

        var body = new { channelId = f.WhatsAppChannel, contactId = contact, template = Template("77"), idempotencyKey = "start-77" };
        var r = await f.Admin.PostAsJsonAsync("/api/v1/conversations", body);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var conversation = (await BodyOf(r)).GetProperty("conversation");
        Assert.NotEqual(first, conversation.GetProperty("id").GetGuid());
        Assert.Equal(JsonValueKind.Null, conversation.GetProperty("assigneeId").ValueKind);   // an integrator's key: nobody's yet
        var repeated = await f.Admin.PostAsJsonAsync("/api/v1/conversations", body);
        Assert.Equal(HttpStatusCode.OK, repeated.StatusCode);
        Assert.Equal(conversation.GetProperty("id").GetGuid(), (await BodyOf(repeated)).GetProperty("conversation").GetProperty("id").GetGuid());
        var reused = await f.Admin.PostAsJsonAsync("/api/v1/conversations", body with { template = Template("78") });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        Assert.Equal(2, await f.Db.CountAsync("from conversations where contact_id = @c", ("c", contact)));
    }

    [Fact]
    public async Task Bad_requests_are_named_and_write_nothing()
    {
        var contacts = await f.Db.CountAsync("from contacts");
        async Task<string[]> FieldsOf(object body)
        {
            var r = await f.Admin.PostAsJsonAsync("/api/v1/conversations", body);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            return [.. (await BodyOf(r)).GetProperty("errors").EnumerateObject().Select(e => e.Name)];
        }
        Assert.Contains("contactId", await FieldsOf(new { channelId = f.WhatsAppChannel, template = Template() }));
        Assert.Contains("contactId", await FieldsOf(new
            { channelId = f.WhatsAppChannel, contactId = Guid.NewGuid(), phone = "+5511999990000", template = Template() }));
        Assert.Contains("phone", await FieldsOf(new { channelId = f.WhatsAppChannel, phone = "12", template = Template() }));
        Assert.Contains("channelId", await FieldsOf(new { phone = "+5511999990000", template = Template() }));
        Assert.Contains("channelId", await FieldsOf(new { channelId = f.WeChatChannel, phone = "+5511999990000", template = Template() }));
        Assert.Contains("template", await FieldsOf(new { channelId = f.WhatsAppChannel, phone = "+5511999990000" }));
        Assert.Contains("template.name", await FieldsOf(new
            { channelId = f.WhatsAppChannel, phone = "+5511999990000", template = new { name = "", language = "en_US" } }));
        var unknown = await f.Admin.PostAsJsonAsync("/api/v1/conversations",
            new { channelId = f.WhatsAppChannel, contactId = Guid.NewGuid(), template = Template() });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(contacts, await f.Db.CountAsync("from contacts"));
    }

    [Fact]
    public async Task Agents_start_only_when_the_business_allows_it()
    {
        var (agent, client) = await TeamFixture.AgentAsync(f, "Ana Agent", online: false);
        var body = new { channelId = f.WhatsAppChannel, phone = "+" + Digits(), template = Template("1") };
        var refused = await client.PostAsJsonAsync("/api/v1/conversations", body);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("forbidden", (await BodyOf(refused)).GetProperty("code").GetString());

        (await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { agentsStartConversations = true })).EnsureSuccessStatusCode();
        try
        {
            var r = await client.PostAsJsonAsync("/api/v1/conversations", body);
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            Assert.Equal(agent, (await BodyOf(r)).GetProperty("conversation").GetProperty("assigneeId").GetGuid());
        }
        finally
        {
            (await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { agentsStartConversations = false })).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task With_a_template_catalog_a_paused_template_or_wrong_parameters_start_nothing()
    {
        var channel = await EngineFixture.CreateChannelAsync(f.Admin, new
        {
            kind = "whatsapp", name = "Catalog number", phoneNumberId = "990123456789555", displayPhoneNumber = "15557655555",
            appSecret = EngineFixture.AppSecret, verifyToken = "v", accessToken = "EAAG-test",
            apiBaseUrl = f.Provider.BaseUrl.ToString().TrimEnd('/'), businessAccountId = Waba,
        });
        f.Provider.AddTemplate(Waba, "order_update", "en_US", "Order {{1}} is on its way.");
        f.Provider.AddTemplate(Waba, "win_back", "en_US", "We miss you!", status: "PAUSED", category: "MARKETING");
        (await f.Admin.PostAsync($"/api/v1/channels/{channel}/templates/sync", null)).EnsureSuccessStatusCode();
        var contacts = await f.Db.CountAsync("from contacts where channel_id = @c", ("c", channel));

        var paused = await f.Admin.PostAsJsonAsync("/api/v1/conversations", new
            { channelId = channel, phone = "+" + Digits(), template = new { name = "win_back", language = "en_US" } });
        Assert.Equal(HttpStatusCode.Conflict, paused.StatusCode);
        Assert.Equal("template_not_approved", (await BodyOf(paused)).GetProperty("code").GetString());
        var wrong = await f.Admin.PostAsJsonAsync("/api/v1/conversations",
            new { channelId = channel, phone = "+" + Digits(), template = Template() });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal("template_parameters", (await BodyOf(wrong)).GetProperty("code").GetString());
        // Nothing half-written: no contact, no conversation for the refused numbers.
        Assert.Equal(contacts, await f.Db.CountAsync("from contacts where channel_id = @c", ("c", channel)));
        Assert.Equal(0, await f.Db.CountAsync("from conversations where channel_id = @c", ("c", channel)));

        var ok = await f.Admin.PostAsJsonAsync("/api/v1/conversations",
            new { channelId = channel, phone = "+" + Digits(), template = Template("4411") });
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
    }
}
