using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Engine.Api.Webhooks.WeChat;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>The engine's fixture plus a WeChat channel in plain mode (no EncodingAESKey).</summary>
public sealed class WeChatFixture : EngineFixture
{
    public Guid PlainChannel { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        PlainChannel = await CreateChannelAsync(Admin, new { kind = "wechat", name = "Plain account", appId = "wx00000000000plain", token = WeChatToken, appSecret = "s" });
    }
}

public class WeChatWebhookTests(WeChatFixture f) : IClassFixture<WeChatFixture>
{
    private const string Token = EngineFixture.WeChatToken;
    private HttpClient Client => f.Host.CreateClient();
    private static string NewOpenId() => "o" + Guid.NewGuid().ToString("N")[..27];

    private static string TextXml(string openId, long created, string content, string msgId) =>
        $"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[{openId}]]></FromUserName><CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msgId}</MsgId></xml>";

    private static string EventXml(string openId, long created, string ev, string? key = null) =>
        $"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[{openId}]]></FromUserName><CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{ev}]]></Event>{(key is null ? "" : $"<EventKey><![CDATA[{key}]]></EventKey>")}</xml>";

    private Task<HttpResponseMessage> PostPlain(string xml, string token = Token, string? nonce = null) =>
        WeChatCallbacks.PostAsync(Client, f.PlainChannel, xml, f.Clock.GetUtcNow(), aesKey: null, token: token, nonce: nonce);

    private Task<HttpResponseMessage> PostEncrypted(string xml, string aesKey = EngineFixture.AesKey, bool badSignature = false) =>
        WeChatCallbacks.PostAsync(Client, f.WeChatChannel, xml, f.Clock.GetUtcNow(), aesKey, badMsgSignature: badSignature);

    private Task<long> MessagesOf(string openId) =>
        f.Db.CountAsync("from messages m join contacts c on c.id = m.contact_id where c.external_id = @o", ("o", openId));

    [Fact]
    public async Task Url_verification_echoes_echostr_for_the_official_example()
    {
        var r = await Client.GetAsync($"/webhooks/wechat/{f.WeChatChannel}?signature=f464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504&nonce=1514711492&echostr=4375120948345356249");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("4375120948345356249", await r.Content.ReadAsStringAsync());
        var bad = await Client.GetAsync($"/webhooks/wechat/{f.WeChatChannel}?signature=f464b24fc39322e44b38aa78f5edd27bd1441697&timestamp=1714036504&nonce=1514711492&echostr=1");
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
    }

    [Fact]
    public async Task A_plain_text_message_is_stored_once_and_answered_success()
    {
        var openId = NewOpenId();
        var xml = TextXml(openId, 1714037059, "运费多少?", "24086087575195331");
        const string nonce = "486452656";
        var first = await PostPlain(xml, nonce: nonce);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("success", await first.Content.ReadAsStringAsync());
        Assert.Equal("success", await (await PostPlain(xml, nonce: nonce)).Content.ReadAsStringAsync()); // WeChat's retry, same URL
        Assert.Equal(1, await MessagesOf(openId));
        Assert.Equal("运费多少?", await f.Db.ScalarAsync<string>(
            "select m.text from messages m join contacts c on c.id = m.contact_id where c.external_id = @o", ("o", openId)));
        // 48 h window on WeChat by default
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1714037059).AddHours(48).UtcDateTime, await f.Db.ScalarAsync<DateTime>(
            "select v.window_closes_at from conversations v join contacts c on c.id = v.contact_id where c.external_id = @o", ("o", openId)));
    }

    [Fact]
    public async Task A_retry_after_another_message_is_still_caught_by_set_based_dedupe()
    {
        var openId = NewOpenId();
        var a = TextXml(openId, 1714037059, "one", "5001");
        await PostPlain(a);
        await PostPlain(TextXml(openId, 1714037060, "two", "5002"));
        await PostPlain(a);
        Assert.Equal(2, await MessagesOf(openId));
    }

    [Fact]
    public async Task A_wrong_signature_is_refused_and_nothing_is_stored()
    {
        var openId = NewOpenId();
        var r = await PostPlain(TextXml(openId, 1714037059, "hi", "6001"), token: "WRONG");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal(0, await f.Db.CountAsync("from contacts where external_id = @o", ("o", openId)));
    }

    [Fact]
    public async Task Secure_mode_messages_are_decrypted_and_stored()
    {
        var openId = NewOpenId();
        var r = await PostEncrypted(TextXml(openId, 1714037059, "hello", "7001"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(1, await MessagesOf(openId));
    }

    [Fact]
    public async Task Secure_mode_with_a_wrong_msg_signature_is_refused()
    {
        var openId = NewOpenId();
        var r = await PostEncrypted(TextXml(openId, 1714037059, "hello", "7002"), badSignature: true);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal(0, await MessagesOf(openId));
    }

    [Fact]
    public async Task After_a_key_rotation_callbacks_under_the_previous_key_still_decrypt()
    {
        const string newKey = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut";
        var patch = await f.Admin.PatchAsJsonAsync($"/api/v1/channels/{f.WeChatChannel}", new { encodingAesKey = newKey });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        await Task.Yield();
        f.Clock.Advance(TimeSpan.FromSeconds(2)); // past the channel cache
        var oldKeyUser = NewOpenId();
        var newKeyUser = NewOpenId();
        Assert.Equal(HttpStatusCode.OK, (await PostEncrypted(TextXml(oldKeyUser, 1714037059, "old", "8001"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostEncrypted(TextXml(newKeyUser, 1714037059, "new", "8002"), aesKey: newKey)).StatusCode);
        Assert.Equal(1, await MessagesOf(oldKeyUser));
        Assert.Equal(1, await MessagesOf(newKeyUser));
        await f.Admin.PatchAsJsonAsync($"/api/v1/channels/{f.WeChatChannel}", new { encodingAesKey = EngineFixture.AesKey });
        f.Clock.Advance(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Events_dedupe_by_sender_time_and_event_and_two_events_in_one_second_are_both_kept()
    {
        var openId = NewOpenId();
        await PostPlain(EventXml(openId, 1714037059, "subscribe", "qrscene_123"));
        await PostPlain(EventXml(openId, 1714037059, "subscribe", "qrscene_123")); // retry
        await PostPlain(EventXml(openId, 1714037059, "CLICK", "MENU_HELP"));       // same second, another event
        await PostPlain(EventXml(openId, 1714037060, "unsubscribe"));             // no EventKey
        Assert.Equal(3, await f.Db.CountAsync("from channel_events e join contacts c on c.id = e.contact_id where c.external_id = @o", ("o", openId)));
        Assert.Equal(0, await MessagesOf(openId));
    }

    [Fact]
    public async Task A_message_with_MsgId_zero_is_deduplicated_by_sender_and_time()
    {
        var openId = NewOpenId();
        var xml = TextXml(openId, 1714037059, "zero", "0");
        await PostPlain(xml);
        await PostPlain(xml);
        Assert.Equal(1, await MessagesOf(openId));
    }

    [Fact]
    public async Task Other_message_types_keep_their_fields()
    {
        var openId = NewOpenId();
        var location = $"<xml><ToUserName>gh</ToUserName><FromUserName>{openId}</FromUserName><CreateTime>1714037059</CreateTime><MsgType>location</MsgType><Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale><Label>Guangzhou</Label><MsgId>9001</MsgId></xml>";
        var image = $"<xml><ToUserName>gh</ToUserName><FromUserName>{openId}</FromUserName><CreateTime>1714037060</CreateTime><MsgType>image</MsgType><PicUrl>http://x/y.jpg</PicUrl><MediaId>media_1</MediaId><MsgId>9002</MsgId></xml>";
        var voice = $"<xml><ToUserName>gh</ToUserName><FromUserName>{openId}</FromUserName><CreateTime>1714037061</CreateTime><MsgType>voice</MsgType><MediaId>m2</MediaId><Format>amr</Format><Recognition>退货</Recognition><MsgId>9003</MsgId></xml>";
        foreach (var xml in new[] { location, image, voice }) Assert.Equal(HttpStatusCode.OK, (await PostPlain(xml)).StatusCode);
        Assert.Equal("Guangzhou", await f.Db.ScalarAsync<string>("select text from messages where provider_message_id = '9001'"));
        Assert.Equal("media_1", await f.Db.ScalarAsync<string>("select content->>'MediaId' from messages where provider_message_id = '9002'"));
        Assert.Equal("退货", await f.Db.ScalarAsync<string>("select text from messages where provider_message_id = '9003'"));
    }

    [Fact]
    public async Task Xml_with_a_doctype_is_refused()
    {
        var xxe = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><FromUserName>&x;</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId></xml>";
        var r = await PostPlain(xxe);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("malformed_payload", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_json_formatted_callback_is_accepted()
    {
        var openId = NewOpenId();
        var json = $$"""{"ToUserName":"gh","FromUserName":"{{openId}}","CreateTime":1714037059,"MsgType":"text","Content":"json hi","MsgId":9101}""";
        var r = await Client.PostAsync($"/webhooks/wechat/{f.PlainChannel}?{WeChatCallbacks.PlainQuery(f.Clock.GetUtcNow())}",
            new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(1, await MessagesOf(openId));
    }

    private static string Code(string json) => JsonDocument.Parse(json).RootElement.GetProperty("code").GetString()!;

    [Fact]
    public async Task A_timestamp_more_than_five_minutes_from_now_is_refused_and_nothing_is_stored()
    {
        foreach (var skew in new[] { TimeSpan.FromMinutes(-5.5), TimeSpan.FromMinutes(5.5) })
        {
            var openId = NewOpenId();
            var r = await WeChatCallbacks.PostAsync(Client, f.PlainChannel, TextXml(openId, 1714037059, "late", "6101"), f.Clock.GetUtcNow() + skew, aesKey: null);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal("stale_timestamp", Code(await r.Content.ReadAsStringAsync()));
            Assert.Equal(0, await f.Db.CountAsync("from contacts where external_id = @o", ("o", openId)));
        }
        var inside = await WeChatCallbacks.PostAsync(Client, f.PlainChannel, TextXml(NewOpenId(), 1714037059, "ok", "6102"),
            f.Clock.GetUtcNow() - TimeSpan.FromMinutes(4.5), aesKey: null);
        Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
    }

    [Fact]
    public async Task A_signed_url_replayed_with_another_body_is_refused_until_its_nonce_leaves_the_window()
    {
        var victim = NewOpenId();
        var forged = NewOpenId();
        var nonce = WeChatCallbacks.NewNonce();
        var now = f.Clock.GetUtcNow();
        Assert.Equal(HttpStatusCode.OK, (await WeChatCallbacks.PostAsync(Client, f.PlainChannel, TextXml(victim, 1714037059, "real", "6201"), now,
            aesKey: null, nonce: nonce)).StatusCode);
        var replay = await WeChatCallbacks.PostAsync(Client, f.PlainChannel, TextXml(forged, 1714037059, "forged", "6202"), now, aesKey: null, nonce: nonce);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal("replayed_nonce", Code(await replay.Content.ReadAsStringAsync()));
        Assert.Equal(0, await f.Db.CountAsync("from contacts where external_id = @o", ("o", forged)));
        Assert.Equal(1, await MessagesOf(victim));
        // Once its timestamp is out of the window the old URL is refused anyway, and the nonce may be used afresh.
        f.Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(HttpStatusCode.Unauthorized, (await WeChatCallbacks.PostAsync(Client, f.PlainChannel, TextXml(forged, 1714037059, "forged", "6202"), now,
            aesKey: null, nonce: nonce)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await WeChatCallbacks.PostAsync(Client, f.PlainChannel, TextXml(forged, 1714037059, "new", "6203"),
            f.Clock.GetUtcNow(), aesKey: null, nonce: nonce)).StatusCode);
    }

    [Fact]
    public async Task A_nonce_is_remembered_across_nodes()
    {
        await using var second = new EngineHost(f.Db.ConnectionString, f.Clock);
        var nonce = WeChatCallbacks.NewNonce();
        var now = f.Clock.GetUtcNow();
        Assert.Equal(HttpStatusCode.OK, (await WeChatCallbacks.PostAsync(Client, f.PlainChannel, TextXml(NewOpenId(), 1714037059, "a", "6301"), now,
            aesKey: null, nonce: nonce)).StatusCode);
        var other = NewOpenId();
        var r = await WeChatCallbacks.PostAsync(second.CreateClient(), f.PlainChannel, TextXml(other, 1714037059, "b", "6302"), now, aesKey: null, nonce: nonce);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal(0, await MessagesOf(other));
    }

    [Fact]
    public async Task A_channel_with_an_EncodingAESKey_refuses_plain_bodies()
    {
        var openId = NewOpenId();
        var r = await WeChatCallbacks.PostAsync(Client, f.WeChatChannel, TextXml(openId, 1714037059, "plain", "6401"), f.Clock.GetUtcNow(), aesKey: null);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("encryption_required", Code(await r.Content.ReadAsStringAsync()));
        Assert.Equal(0, await f.Db.CountAsync("from contacts where external_id = @o", ("o", openId)));
    }

    public static TheoryData<string, string> NestedDeliveries => new()
    {
        { "scancode_push", "<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>" },
        { "scancode_waitmsg", "<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[2]]></ScanResult></ScanCodeInfo>" },
        { "pic_sysphoto", "<SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum></item></PicList></SendPicsInfo>" },
        { "pic_photo_or_album", "<SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum>a</PicMd5Sum></item><item><PicMd5Sum>b</PicMd5Sum></item></PicList></SendPicsInfo>" },
        { "pic_weixin", "<SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>c</PicMd5Sum></item></PicList></SendPicsInfo>" },
        { "location_select", "<SendLocationInfo><Location_X><![CDATA[23]]></Location_X><Location_Y><![CDATA[113]]></Location_Y><Scale>15</Scale><Label><![CDATA[广州]]></Label><Poiname/></SendLocationInfo>" },
        { "subscribe_msg_popup_event", "<SubscribeMsgPopupEvent><List><TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId><SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List><List><TemplateId><![CDATA[9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI]]></TemplateId><SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString><PopupScene>2</PopupScene></List></SubscribeMsgPopupEvent>" },
        { "MASSSENDJOBFINISH", "<MsgID>1000001625</MsgID><Status><![CDATA[err(30003)]]></Status><TotalCount>0</TotalCount><FilterCount>0</FilterCount><SentCount>0</SentCount><ErrorCount>0</ErrorCount><CopyrightCheckResult><Count>1</Count><ResultList><item><ArticleIdx>1</ArticleIdx><UserDeclareState>0</UserDeclareState><AuditState>2</AuditState><OriginalArticleUrl><![CDATA[Url_1]]></OriginalArticleUrl><OriginalArticleType>1</OriginalArticleType><CanReprint>1</CanReprint><NeedReplaceContent>1</NeedReplaceContent><NeedShowReprintSource>1</NeedShowReprintSource></item></ResultList><CheckState>2</CheckState></CopyrightCheckResult>" },
        { "TEMPLATESENDJOBFINISH", "<MsgID>200163836</MsgID><Status><![CDATA[success]]></Status>" },
    };

    [Theory]
    [MemberData(nameof(NestedDeliveries))]
    public async Task Deliveries_whose_elements_nest_are_stored_as_events_and_answered_success(string ev, string inner)
    {
        var openId = NewOpenId();
        var xml = $"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[{openId}]]></FromUserName><CreateTime>1714037059</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{ev}]]></Event><EventKey><![CDATA[menu_1]]></EventKey>{inner}</xml>";
        var r = await PostPlain(xml);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("success", await r.Content.ReadAsStringAsync());
        var content = JsonDocument.Parse(await f.Db.ScalarAsync<string>(
            "select e.content::text from channel_events e join contacts c on c.id = e.contact_id where c.external_id = @o and e.event = @e",
            ("o", openId), ("e", ev))).RootElement;
        var first = System.Xml.Linq.XElement.Parse($"<r>{inner}</r>").Elements().First().Name.LocalName;
        Assert.True(content.TryGetProperty(first, out var kept), $"{first} is kept in the stored event");
        Assert.Contains(kept.ValueKind, new[] { JsonValueKind.Object, JsonValueKind.String });
    }

    [Fact]
    public async Task Nested_lists_keep_every_item()
    {
        var openId = NewOpenId();
        var xml = $"<xml><FromUserName>{openId}</FromUserName><CreateTime>1714037059</CreateTime><MsgType>event</MsgType><Event>pic_photo_or_album</Event><EventKey>k</EventKey><SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum>a</PicMd5Sum></item><item><PicMd5Sum>b</PicMd5Sum></item></PicList></SendPicsInfo></xml>";
        Assert.Equal(HttpStatusCode.OK, (await PostPlain(xml)).StatusCode);
        Assert.Equal("b", await f.Db.ScalarAsync<string>(
            "select e.content #>> '{SendPicsInfo,PicList,item,1,PicMd5Sum}' from channel_events e join contacts c on c.id = e.contact_id where c.external_id = @o",
            ("o", openId)));
    }

    [Fact]
    public async Task A_body_starting_with_a_byte_order_mark_is_read()
    {
        var openId = NewOpenId();
        Assert.Equal(HttpStatusCode.OK, (await PostPlain("\uFEFF" + TextXml(openId, 1714037059, "bom", "6501"))).StatusCode);
        Assert.Equal(1, await MessagesOf(openId));
    }

    [Theory]
    [InlineData("<xml><FromUserName>x</FromUserName>")]
    [InlineData("<xml><a></b></xml>")]
    [InlineData("not xml at all")]
    public async Task Only_malformed_xml_is_refused(string body)
    {
        var r = await PostPlain(body);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("malformed_payload", Code(await r.Content.ReadAsStringAsync()));
    }
}
