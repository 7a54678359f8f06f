using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Channels;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Engine.Api.Webhooks.WeChat;
using Engine.Silo;
using Engine.Silo.Channels;
using Engine.Silo.Outbound;
using Engine.Tests.Infrastructure;
using Npgsql;

namespace Engine.Tests.Api;

/// <summary>Sending on WeChat: the 48-hour window, the per-message quota, and the central access token.</summary>
public class OutboundWeChatTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private static string NewOpenId() => "o" + Guid.NewGuid().ToString("N")[..27];

    private async Task<Guid> CustomerWritesAsync(string openId, string text = "在吗")
    {
        var ts = f.Clock.GetUtcNow().ToUnixTimeSeconds().ToString();
        var xml = $"<xml><ToUserName>gh</ToUserName><FromUserName>{openId}</FromUserName><CreateTime>{ts}</CreateTime><MsgType>text</MsgType><Content>{text}</Content><MsgId>{Random.Shared.NextInt64(1, long.MaxValue)}</MsgId></xml>";
        var r = await WeChatCallbacks.PostAsync(f.Host.CreateClient(), f.WeChatChannel, xml, f.Clock.GetUtcNow());
        r.EnsureSuccessStatusCode();
        f.Provider.CustomerWrote(openId);
        return await f.Db.ScalarAsync<Guid>("select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @o and v.status = 'open'", ("o", openId));
    }

    private int SentTo(string openId) => f.Provider.Sent.Count(s => s.Recipient == openId);

    private async Task<(Guid Id, string? Language)> ContactAsync(string openId)
    {
        var id = await f.Db.ScalarAsync<Guid>("select id from contacts where external_id = @o", ("o", openId));
        return (id, (await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/contacts/{id}")).GetProperty("language").GetString());
    }

    [Fact]
    public async Task A_new_customers_language_comes_from_their_wechat_profile_over_a_guess_but_never_over_a_person()
    {
        // A follower whose WeChat is in English writes in Chinese: the guess from the script is replaced by the profile.
        var follower = NewOpenId();
        f.Provider.Followers[follower] = "en";
        const string chinese = "你好，我的包裹还没有到";
        await CustomerWritesAsync(follower, chinese);
        Assert.Equal("zh", (await ContactAsync(follower)).Language);
        await f.DrainAsync();
        Assert.Equal("en", (await ContactAsync(follower)).Language);
        Assert.Equal(1, await f.Db.CountAsync("from entity_events where entity_id = @c and type = 'contact.changed'",
            ("c", (await ContactAsync(follower)).Id)));

        // An agent's correction made before the profile arrives stands; a token WeChat no longer accepts is refreshed.
        var corrected = NewOpenId();
        f.Provider.Followers[corrected] = "zh_TW";
        await CustomerWritesAsync(corrected, chinese);
        var (id, _) = await ContactAsync(corrected);
        (await f.Admin.PutAsJsonAsync($"/api/v1/contacts/{id}/language", new { language = "th" })).EnsureSuccessStatusCode();
        f.Provider.ExpireTokens();
        await f.DrainAsync();
        Assert.Equal("th", (await ContactAsync(corrected)).Language);

        // One who does not follow the account has no profile language: the guess stays.
        var stranger = NewOpenId();
        await CustomerWritesAsync(stranger, chinese);
        await f.DrainAsync();
        Assert.Equal("zh", (await ContactAsync(stranger)).Language);
        Assert.Equal(0, await f.Db.CountAsync("from outbox where topic = 'contact.wechat_profile' and status <> 'done'"));
    }

    [Fact]
    public async Task A_reply_goes_through_the_customer_service_api_with_a_fetched_token()
    {
        var openId = NewOpenId();
        var conversation = await CustomerWritesAsync(openId);
        var r = await f.SendAsync(conversation, new { type = "text", text = "您好，请问有什么可以帮您？" });
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        var id = await OutboundFixture.MessageIdOf(r);
        await f.DrainAsync();
        var sent = Assert.Single(f.Provider.Sent, s => s.Recipient == openId);
        Assert.Equal("text", sent.Type);
        Assert.Equal("您好，请问有什么可以帮您？", JsonDocument.Parse(sent.Body).RootElement.GetProperty("text").GetProperty("content").GetString());
        Assert.Equal("sent", (await f.MessageAsync(conversation, id)).GetProperty("status").GetString());
        Assert.True(f.Provider.TokenFetches >= 1);
    }

    [Fact]
    public async Task After_48_hours_a_send_is_refused_with_window_closed_before_any_provider_call()
    {
        var openId = NewOpenId();
        var conversation = await CustomerWritesAsync(openId);
        f.Clock.Advance(TimeSpan.FromHours(48));
        var requests = f.Provider.SendRequests;
        var r = await f.SendAsync(conversation, new { type = "text", text = "still there?" });
        Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
        Assert.Equal("window_closed", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        await f.DrainAsync();
        Assert.Equal(requests, f.Provider.SendRequests);
        f.Clock.Rewind(TimeSpan.FromHours(48));
    }

    [Fact]
    public async Task Five_replies_per_customer_message_then_window_quota_exhausted_until_the_customer_writes()
    {
        var openId = NewOpenId();
        var conversation = await CustomerWritesAsync(openId);
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.Accepted, (await f.SendAsync(conversation, new { type = "text", text = $"r{i}" })).StatusCode);
        await f.DrainAsync();
        Assert.Equal(5, SentTo(openId));
        var sixth = await f.SendAsync(conversation, new { type = "text", text = "r5" });
        Assert.Equal(HttpStatusCode.Conflict, sixth.StatusCode);
        Assert.Equal("window_quota_exhausted", JsonDocument.Parse(await sixth.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());

        await CustomerWritesAsync(openId);
        Assert.Equal(HttpStatusCode.Accepted, (await f.SendAsync(conversation, new { type = "text", text = "r5" })).StatusCode);
        f.Clock.Advance(TimeSpan.FromMinutes(1)); // past the new-customer limit of 5 a minute
        await f.DrainAsync();
        Assert.Equal(6, SentTo(openId));
    }

    [Fact]
    public async Task A_token_the_api_no_longer_accepts_is_refreshed_once_and_the_send_goes_through()
    {
        var openId = NewOpenId();
        var conversation = await CustomerWritesAsync(openId);
        await f.SendAsync(conversation, new { type = "text", text = "first" });
        await f.DrainAsync();
        var fetches = f.Provider.TokenFetches;
        f.Provider.ExpireTokens();
        await f.SendAsync(conversation, new { type = "text", text = "second" });
        await f.DrainAsync();
        Assert.Equal(2, SentTo(openId));
        Assert.Equal(fetches + 1, f.Provider.TokenFetches);
    }

    [Fact]
    public async Task Six_dispatchers_needing_a_token_at_once_fetch_it_once()
    {
        var channel = await EngineFixture.CreateChannelAsync(f.Admin, new
        {
            kind = "wechat", name = "Token race", appId = "wxrace0000000001", token = "tok123", appSecret = "s", apiBaseUrl = f.Provider.BaseUrl.ToString(),
        });
        var fetches = f.Provider.TokenFetches;
        f.Provider.TokenFetchDelay = TimeSpan.FromMilliseconds(100);   // overlapping calls, well inside the 1 s timeout
        var grain = f.Host.Service<IGrainFactory>().GetGrain<IChannelGrain>(GrainKeys.Channel(channel));
        var tokens = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => grain.WeChatAccessToken(null)));
        f.Provider.TokenFetchDelay = TimeSpan.Zero;
        Assert.Single(tokens.Select(t => t.Token).Distinct());
        Assert.NotNull(tokens[0].Token);
        Assert.Equal(fetches + 1, f.Provider.TokenFetches);
        Assert.Equal(1, f.Provider.MaxConcurrentTokenFetches);
    }

    [Fact]
    public async Task A_quota_answer_from_the_provider_fails_the_message_with_45047()
    {
        var openId = NewOpenId();
        var conversation = await CustomerWritesAsync(openId);
        await f.DrainAsync();   // the new customer's profile is asked for first
        f.Provider.FailNext(1, 200, 45047, "out of response count limit", weChat: true);
        var id = await OutboundFixture.MessageIdOf(await f.SendAsync(conversation, new { type = "text", text = "x" }));
        await f.DrainAsync();
        var m = await f.MessageAsync(conversation, id);
        Assert.Equal("failed", m.GetProperty("status").GetString());
        Assert.Equal(45047, m.GetProperty("failureCode").GetInt32());
    }

    [Fact]
    public async Task A_busy_answer_is_retried()
    {
        var openId = NewOpenId();
        var conversation = await CustomerWritesAsync(openId);
        await f.DrainAsync();   // the new customer's profile is asked for first
        f.Provider.FailNext(1, 200, -1, "system error", weChat: true);
        var id = await OutboundFixture.MessageIdOf(await f.SendAsync(conversation, new { type = "buttons", text = "请选择", buttons = new[] { new { id = "1", title = "查询订单" } } }));
        await f.DrainAsync();
        f.Clock.Advance(TimeSpan.FromMinutes(5));
        await f.DrainAsync();
        Assert.Equal("sent", (await f.MessageAsync(conversation, id)).GetProperty("status").GetString());
        Assert.Equal("msgmenu", Assert.Single(f.Provider.Sent, s => s.Recipient == openId).Type);
        f.Clock.Rewind(TimeSpan.FromMinutes(5));
    }
}
