using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Silo;
using Engine.Silo.Channels;
using Engine.Silo.Outbound;
using Engine.Silo.Runtime;
using Engine.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Engine.Tests.Api;

/// <summary>Sending on WhatsApp over real HTTP against the fake Graph API.</summary>
public class OutboundWhatsAppTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private static string NewPhone(string cc = "62") => cc + "81" + Random.Shared.NextInt64(100_000_000, 999_999_999);

    private int SentTo(string phone) => f.Provider.Sent.Count(s => s.Recipient == phone);

    [Fact]
    public async Task A_text_reaches_the_provider_and_status_webhooks_move_it_forward_even_out_of_order()
    {
        var phone = NewPhone();
        var conversation = await f.CustomerWritesAsync(phone);
        var r = await f.SendAsync(conversation, new { type = "text", text = "Your parcel left the warehouse." });
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        var id = await OutboundFixture.MessageIdOf(r);
        Assert.Equal("queued", (await f.MessageAsync(conversation, id)).GetProperty("status").GetString());

        await f.DrainAsync();
        var sent = Assert.Single(f.Provider.Sent, s => s.Recipient == phone);
        var body = JsonDocument.Parse(sent.Body).RootElement;
        Assert.Equal("+" + phone, body.GetProperty("to").GetString());
        Assert.Equal("Your parcel left the warehouse.", body.GetProperty("text").GetProperty("body").GetString());
        Assert.Equal(id.ToString(), sent.IdempotencyKey);
        var accepted = await f.MessageAsync(conversation, id);
        Assert.Equal("accepted", accepted.GetProperty("status").GetString());
        Assert.Equal(sent.ProviderMessageId, accepted.GetProperty("providerMessageId").GetString());

        f.Provider.StatusChaos = true;
        await f.Provider.DeliverStatusesAsync();
        f.Provider.StatusChaos = false;
        Assert.Equal("read", (await f.MessageAsync(conversation, id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Every_message_type_is_sent_in_the_graph_api_shape()
    {
        var phone = NewPhone();
        var conversation = await f.CustomerWritesAsync(phone);
        // A document the integrator uploaded to the number themselves, sent by its media id.
        var invoice = f.Provider.AddUpload("990123456789012", "%PDF-1.4"u8.ToArray(), "application/pdf", "document");
        object[] messages =
        [
            new { type = "image", media = new { url = "https://cdn.example.com/p.jpg", caption = "your item", width = 800, height = 600 } },
            new { type = "document", media = new { id = invoice, filename = "invoice.pdf" } },
            new { type = "buttons", text = "How can we help?", buttons = new[] { new { id = "buy", title = "Buy now" }, new { id = "agent", title = "Talk to an agent" } } },
            new { type = "list", text = "Pick a topic", list = new { button = "Topics", sections = new[] { new { title = "Orders", rows = new[] { new { id = "ship", title = "Shipping", description = "Fees and times" } } } } } },
            new { type = "template", template = new { name = "order_update", language = "en_US", parameters = new[] { "4411" } } },
        ];
        foreach (var m in messages) Assert.Equal(HttpStatusCode.Accepted, (await f.SendAsync(conversation, m)).StatusCode);
        await f.DrainAsync();
        var bodies = f.Provider.Sent.Where(s => s.Recipient == phone).Select(s => JsonDocument.Parse(s.Body).RootElement).ToList();
        Assert.Equal(["image", "document", "interactive", "interactive", "template"], bodies.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal("https://cdn.example.com/p.jpg", bodies[0].GetProperty("image").GetProperty("link").GetString());
        Assert.Equal(invoice, bodies[1].GetProperty("document").GetProperty("id").GetString());
        Assert.Equal(2, bodies[2].GetProperty("interactive").GetProperty("action").GetProperty("buttons").GetArrayLength());
        Assert.Equal("ship", bodies[3].GetProperty("interactive").GetProperty("action").GetProperty("sections")[0].GetProperty("rows")[0].GetProperty("id").GetString());
        Assert.Equal("4411", bodies[4].GetProperty("template").GetProperty("components")[0].GetProperty("parameters")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task An_invalid_message_is_refused_with_the_rule_named_and_nothing_is_written()
    {
        var conversation = await f.CustomerWritesAsync(NewPhone());
        var before = await f.Db.CountAsync("from messages where direction = 'out'");
        var r = await f.SendAsync(conversation, new { type = "buttons", text = "Pick", buttons = new[] { new { id = "a", title = "This title is far too long" } } });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("buttons[0].title", await r.Content.ReadAsStringAsync());
        Assert.Equal(before, await f.Db.CountAsync("from messages where direction = 'out'"));
        Assert.Equal(0, await f.Db.CountAsync("from outbox o where o.topic = 'message.send' and not exists (select 1 from messages m where o.idempotency_key = 'send:' || m.id)"));
    }

    [Fact]
    public async Task An_image_off_the_recommended_size_is_sent_with_a_warning()
    {
        var conversation = await f.CustomerWritesAsync(NewPhone());
        var r = await f.SendAsync(conversation, new { type = "image", media = new { url = "https://cdn.example.com/big.jpg", width = 1920, height = 1080 } });
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        Assert.Contains("image_dimensions", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Outside_the_window_free_form_is_refused_before_any_provider_call_but_a_template_goes()
    {
        var phone = NewPhone();
        var conversation = await f.CustomerWritesAsync(phone);
        f.Clock.Advance(TimeSpan.FromHours(24));
        var requests = f.Provider.SendRequests;
        var refused = await f.SendAsync(conversation, new { type = "text", text = "Are you still there?" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("window_closed", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());

        var template = await f.SendAsync(conversation, new { type = "template", template = new { name = "reengage", language = "en_US" } });
        Assert.Equal(HttpStatusCode.Accepted, template.StatusCode);
        await f.DrainAsync();
        Assert.Equal(requests + 1, f.Provider.SendRequests);
        Assert.Equal("template", Assert.Single(f.Provider.Sent, s => s.Recipient == phone).Type);
        f.Clock.Rewind(TimeSpan.FromHours(24));
    }

    [Fact]
    public async Task Under_the_surcharge_policy_free_form_goes_out_of_window_and_is_billed_the_surcharge()
    {
        var channel = await EngineFixture.CreateChannelAsync(f.Admin, new
        {
            kind = "whatsapp", name = "Surcharge line", phoneNumberId = "55500011122", appSecret = EngineFixture.AppSecret, verifyToken = "v",
            accessToken = "t", apiBaseUrl = f.Provider.BaseUrl.ToString(), outsideWindowPolicy = "surcharge",
        });
        const string phone = "6281300000001";
        await Wa.PostAsync(f.Host.CreateClient(), channel, Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), "hi",
            phoneNumberId: "55500011122"));
        var conversation = await f.Db.ScalarAsync<Guid>("select id from conversations where channel_id = @c", ("c", channel));
        f.Clock.Advance(TimeSpan.FromHours(25));
        var r = await f.SendAsync(conversation, new { type = "text", text = "We have news about your order." });
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        var id = await OutboundFixture.MessageIdOf(r);
        await f.DrainAsync();
        Assert.True((await f.MessageAsync(conversation, id)).GetProperty("outOfWindow").GetBoolean());
        Assert.Equal(0.01m, await f.Db.ScalarAsync<decimal>("select surcharge from usage_ledger where message_id = @id", ("id", id)));
        f.Clock.Rewind(TimeSpan.FromHours(25));
    }

    [Fact]
    public async Task A_provider_that_fails_twice_then_succeeds_delivers_exactly_one_message()
    {
        var phone = NewPhone();
        var conversation = await f.CustomerWritesAsync(phone);
        f.Provider.FailNext(1, 500, 131000, "Something went wrong");
        f.Provider.FailNext(1, 400, 130429, "Rate limit hit");
        var id = await OutboundFixture.MessageIdOf(await f.SendAsync(conversation, new { type = "text", text = "retry me" }));
        await f.DrainAsync();
        Assert.Equal("queued", (await f.MessageAsync(conversation, id)).GetProperty("status").GetString());
        for (var i = 0; i < 2; i++)
        {
            f.Clock.Advance(TimeSpan.FromHours(1)); // past the back-off
            await f.DrainAsync();
        }
        Assert.Equal(1, SentTo(phone));
        Assert.Equal("accepted", (await f.MessageAsync(conversation, id)).GetProperty("status").GetString());
        Assert.Equal(3, await f.Db.ScalarAsync<int>("select attempts from outbox where idempotency_key = @k", ("k", $"send:{id}")));
    }

    [Theory]
    [InlineData(131026, "undeliverable")]
    [InlineData(131051, "unsupported")]
    public async Task A_permanent_error_marks_the_message_failed_with_code_and_reason(int code, string text)
    {
        var phone = NewPhone();
        var conversation = await f.CustomerWritesAsync(phone);
        f.Provider.FailNext(1, 400, code, $"Message {text}");
        var id = await OutboundFixture.MessageIdOf(await f.SendAsync(conversation, new { type = "text", text = "hello?" }));
        await f.DrainAsync();
        var m = await f.MessageAsync(conversation, id);
        Assert.Equal("failed", m.GetProperty("status").GetString());
        Assert.Equal(code, m.GetProperty("failureCode").GetInt32());
        Assert.Contains(text, m.GetProperty("failureReason").GetString());
        Assert.Equal("failed", await f.Db.ScalarAsync<string>("select status from outbox where idempotency_key = @k", ("k", $"send:{id}")));
    }

    [Fact]
    public async Task A_window_closed_answer_from_the_provider_fails_the_message_with_131047()
    {
        var phone = NewPhone();
        var conversation = await f.CustomerWritesAsync(phone);
        f.Provider.ClosedWindow[phone] = true; // Meta's own view of the window can differ from ours
        var id = await OutboundFixture.MessageIdOf(await f.SendAsync(conversation, new { type = "text", text = "hi" }));
        await f.DrainAsync();
        var m = await f.MessageAsync(conversation, id);
        Assert.Equal(131047, m.GetProperty("failureCode").GetInt32());
        Assert.Contains("24 hours", m.GetProperty("failureReason").GetString());
    }

    [Fact]
    public async Task An_idempotency_key_used_twice_sends_once()
    {
        var phone = NewPhone();
        var conversation = await f.CustomerWritesAsync(phone);
        var first = await f.SendAsync(conversation, new { type = "text", text = "once", idempotencyKey = $"crm-{phone}" });
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/conversations/{conversation}/messages") { Content = JsonContent.Create(new { type = "text", text = "once" }) };
        request.Headers.Add("Idempotency-Key", $"crm-{phone}");
        var second = await f.Admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(await OutboundFixture.MessageIdOf(first), await OutboundFixture.MessageIdOf(second));
        await f.DrainAsync();
        Assert.Equal(1, SentTo(phone));
    }

    [Fact]
    public async Task A_new_customers_sixth_message_within_a_minute_waits_and_goes_after_the_minute()
    {
        var phone = NewPhone();
        var conversation = await f.CustomerWritesAsync(phone);
        for (var i = 1; i <= 6; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await f.SendAsync(conversation, new { type = "text", text = $"part {i}" })).StatusCode);
        await f.DrainAsync();
        Assert.Equal(5, SentTo(phone));
        f.Clock.Advance(TimeSpan.FromSeconds(59));
        await f.DrainAsync();
        Assert.Equal(5, SentTo(phone));
        f.Clock.Advance(TimeSpan.FromSeconds(1));
        await f.DrainAsync();
        Assert.Equal(6, SentTo(phone));
        // in order
        var texts = f.Provider.Sent.Where(s => s.Recipient == phone).Select(s => JsonDocument.Parse(s.Body).RootElement.GetProperty("text").GetProperty("body").GetString());
        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"part {i}"), texts);
    }

    [Fact]
    public async Task A_returning_customer_is_not_held_to_the_new_customer_limit()
    {
        var phone = NewPhone();
        await f.CustomerWritesAsync(phone);
        f.Clock.Advance(TimeSpan.FromHours(25));
        var conversation = await f.CustomerWritesAsync(phone);
        for (var i = 1; i <= 6; i++) await f.SendAsync(conversation, new { type = "text", text = $"part {i}" });
        await f.DrainAsync();
        Assert.Equal(6, SentTo(phone));
        f.Clock.Rewind(TimeSpan.FromHours(25));
    }

    [Fact]
    public async Task A_dispatcher_killed_after_calling_the_provider_is_redriven_and_the_provider_sees_the_key_once()
    {
        var phone = NewPhone();
        var conversation = await f.CustomerWritesAsync(phone);
        var id = await OutboundFixture.MessageIdOf(await f.SendAsync(conversation, new { type = "text", text = "exactly once" }));

        // Node "dying": claims the row, calls the provider as the handler does, and dies before recording anything.
        var dying = new OutboxDispatcher(f.Host.Service<NpgsqlDataSource>(), f.Clock, new NodeIdentity("dying"),
            f.Host.Services.GetServices<IOutboxHandler>(), f.Host.Service<IOptions<EngineOptions>>());
        var claimed = Assert.Single(await dying.ClaimAsync(50, CancellationToken.None), i => i.IdempotencyKey == $"send:{id}");
        var channel = (await f.Host.Service<ChannelStore>().FindCachedAsync(f.WhatsAppChannel, CancellationToken.None))!;
        var early = await f.Host.Service<WhatsAppClient>().SendAsync(channel, new Recipient(phone, phone, null),
            new("text", Text: "exactly once"), id.ToString(), CancellationToken.None);
        Assert.IsType<ProviderResult.Sent>(early);

        await f.DrainAsync();                       // the lease still holds: nobody else touches it
        Assert.Equal("queued", (await f.MessageAsync(conversation, id)).GetProperty("status").GetString());
        f.Clock.Advance(TimeSpan.FromSeconds(61));  // the lease runs out; another node re-drives
        await f.DrainAsync();

        Assert.Equal(1, SentTo(phone));
        var m = await f.MessageAsync(conversation, id);
        Assert.Equal("accepted", m.GetProperty("status").GetString());
        Assert.Equal(((ProviderResult.Sent)early).ProviderMessageId, m.GetProperty("providerMessageId").GetString());
        Assert.Equal(1, await f.Db.CountAsync("from usage_ledger where message_id = @id", ("id", id)));
    }

    [Fact]
    public async Task The_number_rate_limit_holds_sends_to_the_next_second()
    {
        var channel = await EngineFixture.CreateChannelAsync(f.Admin, new
        {
            kind = "whatsapp", name = "Slow line", phoneNumberId = "55500011133", appSecret = EngineFixture.AppSecret, verifyToken = "v",
            accessToken = "t", apiBaseUrl = f.Provider.BaseUrl.ToString(), rateLimitPerSecond = 2,
        });
        var client = f.Host.CreateClient();
        var conversations = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var phone = $"628140000000{i}";
            await Wa.PostAsync(client, channel, Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), "hi",
                phoneNumberId: "55500011133"));
            conversations.Add(await f.Db.ScalarAsync<Guid>("select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p", ("p", phone)));
        }
        foreach (var c in conversations) await f.SendAsync(c, new { type = "text", text = "news" });
        f.Clock.Set(new DateTimeOffset(f.Clock.GetUtcNow().UtcTicks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero));
        await f.DrainAsync();
        Assert.Equal(2, f.Provider.Sent.Count(s => s.Sender == "55500011133"));
        f.Clock.Advance(TimeSpan.FromSeconds(1));
        await f.DrainAsync();
        Assert.Equal(3, f.Provider.Sent.Count(s => s.Sender == "55500011133"));
    }

    [Fact]
    public async Task A_stalled_provider_times_out_and_the_send_is_retried()
    {
        var phone = NewPhone();
        var conversation = await f.CustomerWritesAsync(phone);
        f.Provider.StallNext(1, TimeSpan.FromSeconds(3)); // longer than the node's 1 s provider timeout
        var id = await OutboundFixture.MessageIdOf(await f.SendAsync(conversation, new { type = "text", text = "are you there" }));
        await f.DrainAsync();
        Assert.Equal("queued", (await f.MessageAsync(conversation, id)).GetProperty("status").GetString());
        Assert.Contains("timeout", await f.Db.ScalarAsync<string>("select last_error from outbox where idempotency_key = @k", ("k", $"send:{id}")));
        f.Clock.Advance(TimeSpan.FromMinutes(10));
        await f.DrainAsync();
        Assert.Equal("accepted", (await f.MessageAsync(conversation, id)).GetProperty("status").GetString());
        f.Clock.Rewind(TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task Sending_to_an_unknown_conversation_is_404()
    {
        var r = await f.SendAsync(Guid.NewGuid(), new { type = "text", text = "x" });
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
    }
}
