using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Engine.Grains.Interfaces.Conversations;
using Engine.Silo.Messages;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

public class WhatsAppWebhookTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    private static string NewPhone() => "55119" + Random.Shared.NextInt64(10_000_000, 99_999_999);
    private HttpClient Anonymous => f.Host.CreateClient();

    [Fact]
    public async Task Verification_echoes_the_challenge_when_the_token_matches()
    {
        var ok = await Anonymous.GetAsync($"/webhooks/whatsapp/{f.WhatsAppChannel}?hub.mode=subscribe&hub.verify_token={EngineFixture.VerifyToken}&hub.challenge=1158201444");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("text/plain", ok.Content.Headers.ContentType!.MediaType);
        Assert.Equal("1158201444", await ok.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("subscribe", "wrong-token")]
    [InlineData("unsubscribe", EngineFixture.VerifyToken)]
    public async Task Verification_with_a_wrong_token_or_mode_is_forbidden(string mode, string token)
    {
        var r = await Anonymous.GetAsync($"/webhooks/whatsapp/{f.WhatsAppChannel}?hub.mode={mode}&hub.verify_token={token}&hub.challenge=abc");
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Equal("verification_failed", (await Problem(r)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_signed_message_is_stored_with_its_contact_and_conversation()
    {
        var phone = NewPhone();
        var id = Wa.NewId();
        var r = await Wa.PostAsync(Anonymous, f.WhatsAppChannel, Wa.TextDelivery(phone, id, 1760000000, "my order #4411 has not arrived", "Ana Lima"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        var conversation = await SingleConversationOf(phone);
        Assert.Equal("open", conversation.GetProperty("status").GetString());
        Assert.Equal("Ana Lima", conversation.GetProperty("contact").GetProperty("name").GetString());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1760000000).AddHours(24), conversation.GetProperty("windowClosesAt").GetDateTimeOffset());
        var messages = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conversation.GetProperty("id")}/messages");
        var m = Assert.Single(messages.GetProperty("items").EnumerateArray());
        Assert.Equal(id, m.GetProperty("providerMessageId").GetString());
        Assert.Equal("my order #4411 has not arrived", m.GetProperty("text").GetString());
        Assert.Equal("in", m.GetProperty("direction").GetString());
        Assert.Equal("my order #4411 has not arrived", m.GetProperty("content").GetProperty("text").GetProperty("body").GetString());
    }

    [Fact]
    public async Task A_repeated_delivery_is_acknowledged_and_stored_once()
    {
        var phone = NewPhone();
        var body = Wa.TextDelivery(phone, Wa.NewId(), 1760000000, "hello");
        Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(Anonymous, f.WhatsAppChannel, body)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(Anonymous, f.WhatsAppChannel, body)).StatusCode);
        var conversation = await SingleConversationOf(phone);
        Assert.Equal(1, conversation.GetProperty("messageCount").GetInt32());
        Assert.Equal(1, await f.Db.CountAsync("from messages m join contacts c on c.id = m.contact_id where c.external_id = @p", ("p", phone)));
    }

    [Fact]
    public async Task Concurrent_duplicates_of_one_batch_store_each_message_once()
    {
        var phone = NewPhone();
        var ids = Enumerable.Range(0, 5).Select(_ => Wa.NewId()).ToList();
        var body = Wa.Envelope($"[{Wa.Contact(phone, "Dup")}]", "[" + string.Join(",", ids.Select((id, i) => Wa.Text(phone, id, 1760000000 + i, $"m{i}"))) + "]");
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, body)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(5, await f.Db.CountAsync("from messages m join contacts c on c.id = m.contact_id where c.external_id = @p", ("p", phone)));
        Assert.Equal(5, (await SingleConversationOf(phone)).GetProperty("messageCount").GetInt32());
        Assert.Equal(1, await f.Db.CountAsync("from contacts where external_id = @p", ("p", phone)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("sha256=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("wrong-secret")]
    public async Task A_wrong_or_missing_signature_is_refused_and_nothing_is_stored(string? signature)
    {
        var phone = NewPhone();
        var bytes = Encoding.UTF8.GetBytes(Wa.TextDelivery(phone, Wa.NewId(), 1760000000, "hi"));
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/whatsapp/{f.WhatsAppChannel}") { Content = new ByteArrayContent(bytes) };
        if (signature == "wrong-secret") request.Headers.Add("X-Hub-Signature-256", Engine.Api.Webhooks.WhatsApp.WhatsAppSignature.Sign(bytes, "not-the-secret"));
        else if (signature is not null) request.Headers.Add("X-Hub-Signature-256", signature);
        var r = await Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("invalid_signature", (await Problem(r)).GetProperty("code").GetString());
        Assert.Equal(0, await f.Db.CountAsync("from contacts where external_id = @p", ("p", phone)));
    }

    [Fact]
    public async Task Malformed_json_gets_400_problem_details_and_nothing_is_stored()
    {
        var before = await f.Db.CountAsync("from messages");
        var r = await Wa.PostAsync(Anonymous, f.WhatsAppChannel, """{"object":"whatsapp_business_account","entry":[{"changes":[""");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType!.MediaType);
        Assert.Equal("malformed_json", (await Problem(r)).GetProperty("code").GetString());
        Assert.Equal(before, await f.Db.CountAsync("from messages"));
    }

    [Fact]
    public async Task A_batch_with_one_unstorable_message_is_refused_whole()
    {
        var phone = NewPhone();
        var body = Wa.Envelope($"[{Wa.Contact(phone, "X")}]",
            "[" + Wa.Text(phone, Wa.NewId(), 1760000000, "fine") + ",{\"from\":\"" + phone + "\",\"timestamp\":\"1760000001\",\"type\":\"text\",\"text\":{\"body\":\"no id\"}}]");
        var r = await Wa.PostAsync(Anonymous, f.WhatsAppChannel, body);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(0, await f.Db.CountAsync("from contacts where external_id = @p", ("p", phone)));
    }

    [Fact]
    public async Task An_oversize_body_is_refused_with_413()
    {
        var big = Wa.TextDelivery(NewPhone(), Wa.NewId(), 1760000000, new string('x', 3 * 1024 * 1024 + 10));
        var r = await Wa.PostAsync(Anonymous, f.WhatsAppChannel, big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.Equal("payload_too_large", (await Problem(r)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_unknown_channel_is_404()
    {
        var r = await Wa.PostAsync(Anonymous, Guid.NewGuid(), Wa.TextDelivery(NewPhone(), Wa.NewId(), 1760000000, "hi"));
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("channel_not_found", (await Problem(r)).GetProperty("code").GetString());
        var wrongKind = await Wa.PostAsync(Anonymous, f.WeChatChannel, Wa.TextDelivery(NewPhone(), Wa.NewId(), 1760000000, "hi"));
        Assert.Equal(HttpStatusCode.NotFound, wrongKind.StatusCode);
    }

    [Fact]
    public async Task A_batch_of_a_thousand_updates_is_committed_whole()
    {
        var phones = Enumerable.Range(0, 50).Select(_ => NewPhone()).ToList();
        var messages = Enumerable.Range(0, 1000).Select(i => Wa.Text(phones[i % 50], Wa.NewId(), 1760000000 + i, $"m{i}"));
        var body = Wa.Envelope("[" + string.Join(",", phones.Select(p => Wa.Contact(p, "C"))) + "]", "[" + string.Join(",", messages) + "]");
        Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(Anonymous, f.WhatsAppChannel, body)).StatusCode);
        Assert.Equal(1000, await f.Db.CountAsync("from messages m join contacts c on c.id = m.contact_id where c.external_id = any(@p)", ("p", phones.ToArray())));
        Assert.Equal(50, await f.Db.CountAsync("from conversations v join contacts c on c.id = v.contact_id where c.external_id = any(@p) and v.message_count = 20", ("p", phones.ToArray())));
    }

    [Fact]
    public async Task A_message_after_resolution_opens_a_new_conversation()
    {
        var phone = NewPhone();
        await Wa.PostAsync(Anonymous, f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), 1760000000, "first"));
        // Resolving is the assignment issue's command; here the row is resolved directly.
        await f.Db.ExecAsync("update conversations v set status = 'resolved', resolved_at = now(), version = v.version + 1 from contacts c where c.id = v.contact_id and c.external_id = @p", ("p", phone));
        await Wa.PostAsync(Anonymous, f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), 1760000100, "again"));
        Assert.Equal(2, await f.Db.CountAsync("from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p", ("p", phone)));
        Assert.Equal(1, await f.Db.CountAsync("from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p and v.status = 'open'", ("p", phone)));
    }

    [Fact]
    public async Task Statuses_move_an_outbound_message_forward_only_and_keep_failure_codes()
    {
        var (messageId, wamid) = await OutboundMessageAsync();
        async Task<string?> Status() => await f.Db.ScalarAsync<string>("select status from messages where id = @id", ("id", messageId));

        await Wa.PostAsync(Anonymous, f.WhatsAppChannel, Wa.StatusDelivery(Wa.Status(wamid, "delivered", 1760000010)));
        Assert.Equal("delivered", await Status());
        await Wa.PostAsync(Anonymous, f.WhatsAppChannel, Wa.StatusDelivery(Wa.Status(wamid, "sent", 1760000005)));
        Assert.Equal("delivered", await Status());
        // read and a late delivered in one batch: read wins
        await Wa.PostAsync(Anonymous, f.WhatsAppChannel, Wa.StatusDelivery(Wa.Status(wamid, "read", 1760000020), Wa.Status(wamid, "delivered", 1760000011)));
        Assert.Equal("read", await Status());

        var (failedId, failedWamid) = await OutboundMessageAsync();
        var errors = """[{"code":131047,"title":"Re-engagement message","error_data":{"details":"more than 24 hours"}}]""";
        await Wa.PostAsync(Anonymous, f.WhatsAppChannel, Wa.StatusDelivery(Wa.Status(failedWamid, "failed", 1760000030, errors: errors)));
        await Wa.PostAsync(Anonymous, f.WhatsAppChannel, Wa.StatusDelivery(Wa.Status(failedWamid, "delivered", 1760000031)));
        Assert.Equal("failed", await f.Db.ScalarAsync<string>("select status from messages where id = @id", ("id", failedId)));
        Assert.Equal(131047, await f.Db.ScalarAsync<int>("select (error->0->>'code')::int from messages where id = @id", ("id", failedId)));
    }

    [Fact]
    public async Task A_status_that_overtakes_its_send_is_held_and_applied_when_the_message_id_is_recorded()
    {
        var (messageId, _) = await OutboundMessageAsync(withProviderId: false);
        var wamid = Wa.NewId();
        var r = await Wa.PostAsync(Anonymous, f.WhatsAppChannel, Wa.StatusDelivery(Wa.Status(wamid, "delivered", 1760000010)));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(1, await f.Db.CountAsync("from pending_statuses where provider_message_id = @w", ("w", wamid)));

        await using (var conn = await f.Db.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await StatusBook.MarkAcceptedAsync(conn, tx, messageId, wamid, f.Clock.GetUtcNow(), CancellationToken.None);
            await tx.CommitAsync();
        }
        Assert.Equal("delivered", await f.Db.ScalarAsync<string>("select status from messages where id = @id", ("id", messageId)));
        Assert.Equal(0, await f.Db.CountAsync("from pending_statuses where provider_message_id = @w", ("w", wamid)));
    }

    /// <summary>An outbound message row as the sender (the outbound issue) writes it.</summary>
    private async Task<(Guid Id, string Wamid)> OutboundMessageAsync(bool withProviderId = true)
    {
        var phone = NewPhone();
        await Wa.PostAsync(Anonymous, f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), 1760000000, "hi"));
        var conversation = await SingleConversationOf(phone);
        var id = Guid.NewGuid();
        var wamid = Wa.NewId();
        await f.Db.ExecAsync("""
            insert into messages (id, business_id, conversation_id, channel_id, contact_id, direction, provider_message_id, type, text, content,
                                  sent_at, status, status_rank, created_at, updated_at)
            select @id, business_id, id, channel_id, contact_id, 'out', @w, 'text', 'reply', '{}', now(), 'accepted', 1, now(), now()
              from conversations where id = @c
            """, ("id", id), ("w", withProviderId ? wamid : DBNull.Value), ("c", conversation.GetProperty("id").GetGuid()));
        return (id, wamid);
    }

    private async Task<JsonElement> SingleConversationOf(string phone)
    {
        var contacts = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/contacts?search={phone}");
        var contactId = Assert.Single(contacts.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid();
        var page = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations?contactId={contactId}");
        return Assert.Single(page.GetProperty("items").EnumerateArray());
    }

    internal static async Task<JsonElement> Problem(HttpResponseMessage r) =>
        JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;

    private async Task<HttpResponseMessage> PostBytesAsync(byte[] bytes)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/whatsapp/{f.WhatsAppChannel}") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(Engine.Api.Webhooks.WhatsApp.WhatsAppSignature.Header, Engine.Api.Webhooks.WhatsApp.WhatsAppSignature.Sign(bytes, EngineFixture.AppSecret));
        return await Anonymous.SendAsync(request);
    }

    [Fact]
    public async Task A_body_with_invalid_utf8_is_refused_as_malformed_and_nothing_is_stored()
    {
        var phone = NewPhone();
        var bytes = Encoding.UTF8.GetBytes(Wa.TextDelivery(phone, Wa.NewId(), 1760000000, "XX"));
        var at = Array.IndexOf(bytes, (byte)'X');
        bytes[at] = 0xC3;       // a lead byte followed by ASCII: not UTF-8
        bytes[at + 1] = 0x28;
        var r = await PostBytesAsync(bytes);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("malformed_payload", (await Problem(r)).GetProperty("code").GetString());
        Assert.Equal(0, await f.Db.CountAsync("from contacts where external_id = @p", ("p", phone)));
    }

    [Fact]
    public async Task A_change_for_another_phone_number_is_acknowledged_but_not_stored_on_this_channel()
    {
        var ours = NewPhone();
        var theirs = NewPhone();
        var body = Wa.TextDelivery(theirs, Wa.NewId(), 1760000000, "for the other number", phoneNumberId: "111111111111111");
        Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(Anonymous, f.WhatsAppChannel, body)).StatusCode);
        Assert.Equal(0, await f.Db.CountAsync("from contacts where external_id = @p", ("p", theirs)));
        Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(Anonymous, f.WhatsAppChannel, Wa.TextDelivery(ours, Wa.NewId(), 1760000000, "ours"))).StatusCode);
        Assert.Equal(1, await f.Db.CountAsync("from contacts where external_id = @p", ("p", ours)));
    }

    [Fact]
    public async Task A_timestamp_in_the_future_opens_the_window_from_receipt()
    {
        var phone = NewPhone();
        var now = f.Clock.GetUtcNow();
        var future = now.AddDays(30).ToUnixTimeSeconds();
        Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(Anonymous, f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), future, "from the future"))).StatusCode);
        var conversation = await SingleConversationOf(phone);
        var closes = conversation.GetProperty("windowClosesAt").GetDateTimeOffset();
        Assert.Equal(now.AddHours(24).ToUnixTimeSeconds(), closes.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task A_text_longer_than_the_provider_limit_is_stored_cut_and_flagged()
    {
        var phone = NewPhone();
        var r = await Wa.PostAsync(Anonymous, f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), 1760000000, new string('a', 5000)));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var conversation = await SingleConversationOf(phone);
        var messages = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conversation.GetProperty("id")}/messages");
        var m = Assert.Single(messages.GetProperty("items").EnumerateArray());
        Assert.Equal(4096, m.GetProperty("text").GetString()!.Length);
        Assert.Equal(4096, m.GetProperty("content").GetProperty("text").GetProperty("body").GetString()!.Length);
        Assert.Equal(["text_truncated"], m.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()));
    }
}
