using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Engine.Silo;
using Engine.Silo.Runtime;
using Engine.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Engine.Tests.Api;

/// <summary>Outbound webhooks to a receiver over real HTTP: signing, retries, order, crashes, pause and replay.</summary>
public class WebhookTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private async Task<(WebhookReceiver Receiver, Guid Id, string Secret)> SubscribeAsync(params string[] events)
    {
        var receiver = await WebhookReceiver.StartAsync();
        var r = await f.Admin.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url, events });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        return (receiver, body.GetProperty("webhook").GetProperty("id").GetGuid(), body.GetProperty("secret").GetString()!);
    }

    /// <summary>The receiver's side, written independently of the engine: HMAC-SHA256(secret, timestamp + "." + body), constant-time compare, 5-minute tolerance.</summary>
    private static bool Verify(WebhookReceiver.Received d, string secret, DateTimeOffset now)
    {
        var timestamp = long.Parse(d.Headers["X-Engine-Timestamp"]);
        if (Math.Abs(now.ToUnixTimeSeconds() - timestamp) > 300) return false;
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        var expected = hmac.ComputeHash(Encoding.UTF8.GetBytes($"{timestamp}.{d.Body}"));
        var given = Convert.FromHexString(d.Headers["X-Engine-Signature"]["sha256=".Length..]);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private static string NewPhone() => "6687" + Random.Shared.NextInt64(1_000_000, 9_999_999);
    private static JsonElement Json(WebhookReceiver.Received d) => JsonDocument.Parse(d.Body).RootElement;

    [Fact]
    public async Task Events_arrive_signed_with_id_type_time_and_data()
    {
        var (receiver, _, secret) = await SubscribeAsync("conversation.created", "message.received");
        await using var owned = receiver;
        var phone = NewPhone();
        await f.CustomerWritesAsync(phone);
        await f.DrainAsync();
        var mine = receiver.Deliveries.Where(d => d.Body.Contains("conversation")).ToList();
        Assert.Equal(["conversation.created", "message.received"], mine.Select(d => Json(d).GetProperty("type").GetString()));
        Assert.All(mine, d => Assert.True(Verify(d, secret, f.Clock.GetUtcNow())));
        var first = Json(mine[0]);
        Assert.False(string.IsNullOrEmpty(first.GetProperty("id").GetString()));
        Assert.Equal(f.Clock.GetUtcNow(), first.GetProperty("occurredAt").GetDateTimeOffset());
        Assert.True(first.GetProperty("data").TryGetProperty("conversationId", out _));
        Assert.Equal("conversation.created", mine[0].Headers["X-Engine-Event"]);
        // A tampered body or a stale timestamp does not verify.
        Assert.False(Verify(mine[0] with { Body = mine[0].Body.Replace("created", "deleted") }, secret, f.Clock.GetUtcNow()));
        Assert.False(Verify(mine[0], secret, f.Clock.GetUtcNow().AddMinutes(6)));
    }

    [Fact]
    public async Task A_receiver_that_fails_and_stalls_gets_the_event_after_back_off_and_the_log_shows_each_attempt()
    {
        var (receiver, id, _) = await SubscribeAsync("conversation.created");
        await using var owned = receiver;
        receiver.FailNext(2);
        await f.CustomerWritesAsync(NewPhone());
        await f.DrainAsync();
        f.Clock.Advance(TimeSpan.FromHours(1));
        await f.DrainAsync();                      // second failure
        receiver.StallNext(1); // longer than the node's 1 s webhook timeout
        f.Clock.Advance(TimeSpan.FromHours(1));
        await f.DrainAsync();
        Assert.Empty(receiver.Deliveries);
        f.Clock.Advance(TimeSpan.FromHours(1));
        await f.DrainAsync();
        Assert.Single(receiver.Deliveries);
        var attempts = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{id}/attempts");
        var log = attempts.EnumerateArray().Reverse().Select(a => (a.GetProperty("statusCode").ValueKind == JsonValueKind.Null ? 0 : a.GetProperty("statusCode").GetInt32(), a.GetProperty("succeeded").GetBoolean())).ToList();
        Assert.Equal([(500, false), (500, false), (0, false), (200, true)], log);
        f.Clock.Rewind(TimeSpan.FromHours(3));
    }

    [Fact]
    public async Task Events_of_one_conversation_are_delivered_in_order_even_across_a_failure()
    {
        var (receiver, _, _) = await SubscribeAsync("conversation.created", "message.received");
        await using var owned = receiver;
        var phone = NewPhone();
        receiver.FailNext(1);
        await f.CustomerWritesAsync(phone);       // conversation.created, message.received (1)
        await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), "second"));
        await f.DrainAsync();
        Assert.Empty(receiver.Deliveries);        // the first failed, the rest of this conversation waits behind it
        f.Clock.Advance(TimeSpan.FromHours(1));
        await f.DrainAsync();
        Assert.Equal(["conversation.created", "message.received", "message.received"], receiver.Deliveries.Select(d => Json(d).GetProperty("type").GetString()));
        var ids = receiver.Deliveries.Select(d => long.Parse(Json(d).GetProperty("id").GetString()!)).ToList();
        Assert.Equal(ids.Order(), ids);
        f.Clock.Rewind(TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task No_event_is_lost_when_a_node_dies_mid_delivery()
    {
        var (receiver, _, _) = await SubscribeAsync("conversation.created");
        await using var owned = receiver;
        await f.CustomerWritesAsync(NewPhone());
        var dying = new OutboxDispatcher(f.Host.Service<NpgsqlDataSource>(), f.Clock, new NodeIdentity("dies"),
            f.Host.Services.GetServices<IOutboxHandler>(), f.Host.Service<IOptions<EngineOptions>>());
        var claimed = await dying.ClaimAsync(100, CancellationToken.None);
        Assert.Contains(claimed, c => c.Topic == "webhook.deliver");
        await f.DrainAsync();
        Assert.Empty(receiver.Deliveries);        // leased by the dead node
        f.Clock.Advance(TimeSpan.FromSeconds(61));
        await f.DrainAsync();
        Assert.Single(receiver.Deliveries);
        f.Clock.Rewind(TimeSpan.FromSeconds(61));
    }

    [Fact]
    public async Task A_subscription_failing_for_a_day_is_paused_the_administrator_told_and_its_events_replayed_in_order_later()
    {
        var (receiver, id, _) = await SubscribeAsync("conversation.created", "message.received");
        await using var owned = receiver;
        receiver.FailNext(10_000);
        var phone = NewPhone();
        await f.CustomerWritesAsync(phone);
        await f.DrainAsync();
        for (var i = 0; i < 26; i++) { f.Clock.Advance(TimeSpan.FromHours(1)); await f.DrainAsync(); }
        var hook = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{id}");
        Assert.True(hook.GetProperty("paused").GetBoolean());
        var notes = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/notifications");
        Assert.Contains(notes.EnumerateArray(), n => n.GetProperty("kind").GetString() == "webhook_paused" && n.GetProperty("text").GetString()!.Contains(receiver.Url));
        var failed = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{id}/deliveries?status=failed");
        Assert.Equal(2, failed.GetArrayLength());
        // Events while paused are kept as failed too.
        await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), "while paused"));
        await f.DrainAsync();

        receiver.FailNext(0);
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.PatchAsJsonAsync($"/api/v1/webhooks/{id}", new { resume = true })).StatusCode);
        var replay = await f.Admin.PostAsJsonAsync($"/api/v1/webhooks/{id}/replay", new { });
        Assert.Equal(3, JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement.GetInt32());
        await f.DrainAsync();
        Assert.Equal(["conversation.created", "message.received", "message.received"], receiver.Deliveries.Select(d => Json(d).GetProperty("type").GetString()));

        // A single event can be sent again on request.
        var eventId = long.Parse(Json(receiver.Deliveries.First()).GetProperty("id").GetString()!);
        await f.Admin.PostAsJsonAsync($"/api/v1/webhooks/{id}/replay", new { eventIds = new[] { eventId } });
        await f.DrainAsync();
        Assert.Equal(4, receiver.Deliveries.Count);
        f.Clock.Rewind(TimeSpan.FromHours(26));
    }

    [Theory]
    [InlineData("""{"url":"ftp://x","events":["message.received"]}""", "url")]
    [InlineData("""{"url":"https://crm.example.com/hook","events":["message.deleted"]}""", "events")]
    [InlineData("""{"url":"https://crm.example.com/hook","events":[]}""", "events")]
    public async Task Invalid_subscriptions_are_refused(string body, string field)
    {
        var r = await f.Admin.PostAsync("/api/v1/webhooks", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.True(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty(field, out _));
    }
}
