using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Engine.Api.Webhooks.WeChat;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

public class WeChatWebhookTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    private const string Token = EngineFixture.WeChatToken;
    private HttpClient Client => f.Host.CreateClient();
    private static string NewOpenId() => "o" + Guid.NewGuid().ToString("N")[..27];

    private static string TextXml(string openId, long created, string content, string msgId) =>
        $"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[{openId}]]></FromUserName><CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msgId}</MsgId></xml>";

    private static string EventXml(string openId, long created, string ev, string? key = null) =>
        $"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[{openId}]]></FromUserName><CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{ev}]]></Event>{(key is null ? "" : $"<EventKey><![CDATA[{key}]]></EventKey>")}</xml>";

    private Task<HttpResponseMessage> PostPlain(string xml, string token = Token)
    {
        const string ts = "1714037059", nonce = "486452656";
        var sig = WeChatCrypto.Signature(token, ts, nonce);
        return Client.PostAsync($"/webhooks/wechat/{f.WeChatChannel}?signature={sig}&timestamp={ts}&nonce={nonce}&openid=x",
            new StringContent(xml, Encoding.UTF8, "text/xml"));
    }

    private Task<HttpResponseMessage> PostEncrypted(string xml, string aesKey = EngineFixture.AesKey, bool badSignature = false)
    {
        const string ts = "1714037059", nonce = "486452656";
        var encrypted = WeChatCrypto.Encrypt(xml, aesKey, EngineFixture.WeChatAppId);
        var msgSig = badSignature ? new string('0', 40) : WeChatCrypto.Signature(Token, ts, nonce, encrypted);
        var body = $"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>";
        return Client.PostAsync(
            $"/webhooks/wechat/{f.WeChatChannel}?signature={WeChatCrypto.Signature(Token, ts, nonce)}&timestamp={ts}&nonce={nonce}&encrypt_type=aes&msg_signature={msgSig}",
            new StringContent(body, Encoding.UTF8, "text/xml"));
    }

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
        var first = await PostPlain(xml);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("success", await first.Content.ReadAsStringAsync());
        Assert.Equal("success", await (await PostPlain(xml)).Content.ReadAsStringAsync()); // WeChat's retry
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
        const string ts = "1714037059", nonce = "1";
        var r = await Client.PostAsync($"/webhooks/wechat/{f.WeChatChannel}?signature={WeChatCrypto.Signature(Token, ts, nonce)}&timestamp={ts}&nonce={nonce}",
            new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(1, await MessagesOf(openId));
    }
}
