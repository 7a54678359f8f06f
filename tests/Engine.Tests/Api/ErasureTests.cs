using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Grains.Contacts;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>
/// <c>DELETE /api/v1/contacts/{id}</c> erases a customer's personal data across their merged identities: afterwards
/// no table holds their name, phone, WeChat id, e-mail, words or notes, and the reports over the period say what they
/// said before.
/// </summary>
public class ErasureTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private async Task<Guid> WhatsAppWritesAsync(string phone, string text, string name)
    {
        (await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), text, name))).EnsureSuccessStatusCode();
        await f.DrainAsync();
        return await f.Db.ScalarAsync<Guid>("select id from contacts where external_id = @e", ("e", phone));
    }

    private async Task<Guid> WeChatWritesAsync(string openId, string text)
    {
        var xml = $"<xml><ToUserName>gh</ToUserName><FromUserName>{openId}</FromUserName>"
            + $"<CreateTime>{f.Clock.GetUtcNow().ToUnixTimeSeconds()}</CreateTime><MsgType>text</MsgType>"
            + $"<Content>{text}</Content><MsgId>{Random.Shared.NextInt64(1, long.MaxValue)}</MsgId></xml>";
        (await WeChatCallbacks.PostAsync(f.Host.CreateClient(), f.WeChatChannel, xml, f.Clock.GetUtcNow())).EnsureSuccessStatusCode();
        await f.DrainAsync();
        return await f.Db.ScalarAsync<Guid>("select id from contacts where external_id = @e", ("e", openId));
    }

    private async Task ResolveOpenAsync(Guid contact) =>
        (await f.Admin.PostAsync($"/api/v1/conversations/{await OpenConversationAsync(contact)}/resolve", null))
            .EnsureSuccessStatusCode();

    private Task<Guid> OpenConversationAsync(Guid contact) =>
        f.Db.ScalarAsync<Guid>("select id from conversations where contact_id = @c and status = 'open'", ("c", contact));

    /// <summary>How many rows of every table of the engine's database mention <paramref name="needle"/>.</summary>
    private async Task<Dictionary<string, long>> MentionsAsync(string needle)
    {
        var tables = await f.Db.QueryAsync(
            "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
            r => r.GetString(0));
        var found = new Dictionary<string, long>();
        foreach (var table in tables)
        {
            var n = await f.Db.ScalarAsync<long>(
                $"select count(*) from \"{table}\" t where strpos(lower(t::text), lower(@n)) > 0", ("n", needle));
            if (n > 0) found[table] = n;
        }
        return found;
    }

    private async Task<JsonElement> SummaryAsync(DateTimeOffset from) =>
        await f.Admin.GetFromJsonAsync<JsonElement>(
            $"/api/v1/reports/summary?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(f.Clock.GetUtcNow().AddMinutes(1).ToString("O"))}");

    private async Task<Guid> UploadAsync(Guid conversation, byte[] content, string filename)
    {
        var r = await f.Admin.PostAsync($"/api/v1/conversations/{conversation}/attachments",
            new MultipartFormDataContent { { new ByteArrayContent(content), "file", filename } });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task Erasing_a_customer_leaves_nothing_personal_in_any_table_and_the_reports_unchanged()
    {
        var start = f.Clock.GetUtcNow();
        var phone = "5511966" + Random.Shared.NextInt64(100_000, 999_999);
        var openId = "oErase" + Guid.NewGuid().ToString("N")[..22];
        var whatsApp = await WhatsAppWritesAsync(phone, "my address is 12 Quillfeather Lane", "Zephyrine Quist");
        var conversation = await OpenConversationAsync(whatsApp);
        (await f.SendAsync(conversation, new { type = "text", text = "Thanks Zephyrine, on its way" })).EnsureSuccessStatusCode();
        await f.DrainAsync();
        (await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{whatsApp}",
            new { email = "zephyrine.quist@example.com", attributes = new Dictionary<string, object>() })).EnsureSuccessStatusCode();
        (await f.Admin.PostAsJsonAsync($"/api/v1/contacts/{whatsApp}/notes", new { text = "Zephyrine prefers calls" }))
            .EnsureSuccessStatusCode();
        var (_, person) = await TeamFixture.AgentAsync(f, "Sam Supervisor", role: "Administrator", online: false);
        (await person.PostAsJsonAsync($"/api/v1/conversations/{conversation}/notes", new { text = "Quillfeather parcel lost" }))
            .EnsureSuccessStatusCode();
        // A photo of the parcel, fetched and stored.
        var photo = System.Security.Cryptography.RandomNumberGenerator.GetBytes(700);
        var photoSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(photo));
        var image = Wa.Media(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), "image",
            f.Provider.AddMedia(photo, "image/jpeg"), photoSha, "image/jpeg");
        (await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.Envelope($"[{Wa.Contact(phone, "Zephyrine Quist")}]", $"[{image}]"))).EnsureSuccessStatusCode();
        await f.DrainAsync();
        var store = (Engine.Silo.Media.DirectoryMediaStore)f.Host.Service<Engine.Silo.Media.IMediaStore>();
        Assert.Single(Directory.GetFiles(store.Root, photoSha, SearchOption.AllDirectories));
        // The agent answers with a document named after the customer, and uploads another they never send.
        var label = System.Text.Encoding.ASCII.GetBytes("%PDF-1.4\n% shipping label\n%%EOF");
        var draft = System.Text.Encoding.UTF8.GetBytes("12 Quillfeather Lane, second floor");
        var labelId = await UploadAsync(conversation, label, "Zephyrine-label.pdf");
        await UploadAsync(conversation, draft, "Quillfeather-draft.txt");
        (await f.SendAsync(conversation, new { type = "document", media = new { attachmentId = labelId } }))
            .EnsureSuccessStatusCode();
        await f.DrainAsync();
        var uploaded = new[] { label, draft }.Select(b => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(b)));
        Assert.All(uploaded, sha => Assert.Single(Directory.GetFiles(store.Root, sha, SearchOption.AllDirectories)));
        await ResolveOpenAsync(whatsApp);
        var weChat = await WeChatWritesAsync(openId, "Quillfeather again");
        (await f.Admin.PostAsJsonAsync($"/api/v1/contacts/{whatsApp}/merge", new { sourceContactId = weChat })).EnsureSuccessStatusCode();
        var personal = new[] { phone, openId, "Zephyrine", "Quillfeather", "zephyrine.quist@example.com" };
        Assert.All(personal, p => Assert.NotEmpty(MentionsAsync(p).Result));

        // An open conversation is refused, and nothing changes.
        var refused = await f.Admin.DeleteAsync($"/api/v1/contacts/{weChat}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("\"code\":\"conversation_open\"", await refused.Content.ReadAsStringAsync());
        Assert.Equal(2, await f.Db.CountAsync("from contacts where id = any(@c)", ("c", new[] { whatsApp, weChat })));
        await ResolveOpenAsync(weChat);
        var before = await SummaryAsync(start);
        var messagesBefore = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conversation}/messages");

        // Erasing one identity (the merged-in WeChat one) erases the customer.
        var erased = await f.Admin.DeleteAsync($"/api/v1/contacts/{weChat}");
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        var result = JsonDocument.Parse(await erased.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, result.GetProperty("identities").GetInt32());
        Assert.Equal(2, result.GetProperty("conversations").GetInt32());
        Assert.True(result.GetProperty("messages").GetInt32() >= 3);
        Assert.Equal(1, result.GetProperty("contactNotes").GetInt32());
        Assert.Equal(1, result.GetProperty("conversationNotes").GetInt32());

        foreach (var p in personal) Assert.Empty(await MentionsAsync(p));
        Assert.Empty(Directory.GetFiles(store.Root, photoSha, SearchOption.AllDirectories));   // the photo is gone
        Assert.Empty(await MentionsAsync(photoSha));
        Assert.All(uploaded, sha => Assert.Empty(Directory.GetFiles(store.Root, sha, SearchOption.AllDirectories)));
        Assert.Equal(HttpStatusCode.NotFound, (await f.Admin.GetAsync($"/api/v1/contacts/{whatsApp}")).StatusCode);
        var anonymous = await f.Admin.GetFromJsonAsync<JsonElement>(
            $"/api/v1/contacts/{result.GetProperty("anonymisedContactId").GetGuid()}");
        Assert.Equal(JsonValueKind.Null, anonymous.GetProperty("name").ValueKind);
        var list = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/contacts?includeMerged=true&limit=200");
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(),   // erased customers leave the contact list
            c => c.GetProperty("id").GetGuid() == anonymous.GetProperty("id").GetGuid());
        var messages = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conversation}/messages");
        Assert.Equal(messagesBefore.GetProperty("items").GetArrayLength(), messages.GetProperty("items").GetArrayLength());
        Assert.All(messages.GetProperty("items").EnumerateArray(),   // the messages stay, the words do not
            m => Assert.Equal(JsonValueKind.Null, m.GetProperty("text").ValueKind));
        Assert.Equal(before.ToString(), (await SummaryAsync(start)).ToString());
        Assert.Equal(1, await f.Db.CountAsync("from audit_log where action = 'contact.erased' and entity_id = @e",
            ("e", result.GetProperty("anonymisedContactId").GetGuid().ToString())));

        // The person writing again is a new customer (the id their number derives is free again).
        Assert.Equal(whatsApp, await WhatsAppWritesAsync(phone, "hello again", "Z"));
        Assert.Equal(1, await f.Db.CountAsync("from conversations where contact_id = @c", ("c", whatsApp)));
        Assert.Equal(whatsApp, ContactIds.For(f.WhatsAppChannel, phone));
    }

    [Fact]
    public async Task Only_administrators_erase_and_an_unknown_contact_is_not_found()
    {
        var contact = await WhatsAppWritesAsync("5511977" + Random.Shared.NextInt64(100_000, 999_999), "hi", "Keep Me");
        await ResolveOpenAsync(contact);
        var (_, editor) = await TeamFixture.AgentAsync(f, "Eve Editor", role: "Editor", online: false);
        var forbidden = await editor.DeleteAsync($"/api/v1/contacts/{contact}");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("Keep Me", await f.Db.ScalarAsync<string>("select name from contacts where id = @c", ("c", contact)));
        var missing = await f.Admin.DeleteAsync($"/api/v1/contacts/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("\"code\":\"not_found\"", await missing.Content.ReadAsStringAsync());
    }
}
