using System.Text;
using Engine.Api.Webhooks.WeChat;
using Engine.Api.Webhooks.WhatsApp;

namespace Engine.Simulator;

/// <summary>Builds signed webhook requests the way Meta and WeChat send them.</summary>
public sealed class Webhooks(string kind, Guid channelId, string secret, string? aesKey = null, string? appId = null, string? phoneNumberId = null)
{
    private static readonly (string Type, int Weight)[] WhatsAppMix =
    [
        ("text", 70), ("image", 8), ("interactive", 6), ("audio", 4), ("location", 3), ("document", 3),
        ("reaction", 2), ("sticker", 2), ("contacts", 1), ("unsupported", 1),
    ];

    private static readonly string[] Questions =
    [
        "How much is the shipping fee?", "I want to return my order", "Is there a discount today?", "What size should I pick?",
        "Where is my order #{0}?", "Can I talk to an agent?", "Do you have this in stock?", "What are your opening hours?",
    ];

    /// <summary>A request carrying <paramref name="messages"/> (provider id, customer) in one delivery.</summary>
    public HttpRequestMessage Request(IReadOnlyList<(string Id, string Customer)> messages, Random random, long unixTime) =>
        kind == "wechat" ? WeChat(messages[0], unixTime) : WhatsApp(messages, random, unixTime);

    public string NewId(Random random) => kind == "wechat"
        ? random.NextInt64(1_000_000_000_000_000, long.MaxValue).ToString()
        : "wamid.SIM" + Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=');

    private HttpRequestMessage WhatsApp(IReadOnlyList<(string Id, string Customer)> messages, Random random, long ts)
    {
        var contacts = string.Join(",", messages.Select(m => m.Customer).Distinct().Select(c => $$"""{"profile":{"name":"Customer {{c[^4..]}}"},"wa_id":"{{c}}"}"""));
        var bodies = string.Join(",", messages.Select(m => WhatsAppMessage(m.Id, m.Customer, Pick(random), random, ts)));
        var json = $$$"""{"object":"whatsapp_business_account","entry":[{"id":"880011223344556","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000000","phone_number_id":"{{{phoneNumberId}}}"},"contacts":[{{{contacts}}}],"messages":[{{{bodies}}}]}}]}]}""";
        var bytes = Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/whatsapp/{channelId}") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(WhatsAppSignature.Header, WhatsAppSignature.Sign(bytes, secret));
        return request;
    }

    private static string Pick(Random random)
    {
        var roll = random.Next(100);
        foreach (var (type, weight) in WhatsAppMix)
            if ((roll -= weight) < 0) return type;
        return "text";
    }

    private static string WhatsAppMessage(string id, string from, string type, Random random, long ts)
    {
        var head = $$"""{"from":"{{from}}","id":"{{id}}","timestamp":"{{ts}}","type":"{{type}}",""";
        var media = random.NextInt64(1_000_000_000_000, 9_999_999_999_999);
        var body = type switch
        {
            "text" => $$$"""{"text":{"body":"{{{string.Format(Questions[random.Next(Questions.Length)], random.Next(1000, 9999))}}}"}}""",
            "image" => $$$"""{"image":{"caption":"photo of the parcel","mime_type":"image/jpeg","sha256":"x","id":"{{{media}}}"}}""",
            "audio" => $$$"""{"audio":{"mime_type":"audio/ogg; codecs=opus","sha256":"x","id":"{{{media}}}","voice":true}}""",
            "document" => $$$"""{"document":{"filename":"invoice.pdf","mime_type":"application/pdf","sha256":"x","id":"{{{media}}}"}}""",
            "sticker" => $$$"""{"sticker":{"mime_type":"image/webp","sha256":"x","id":"{{{media}}}","animated":false}}""",
            "location" => """{"location":{"latitude":13.7563,"longitude":100.5018,"name":"Siam Paragon"}}""",
            "interactive" => """{"interactive":{"type":"button_reply","button_reply":{"id":"talk_to_agent","title":"Talk to an agent"}}}""",
            "reaction" => """{"reaction":{"message_id":"wamid.OUTBOUND","emoji":"\ud83d\udc4d"}}""",
            "contacts" => """{"contacts":[{"name":{"formatted_name":"Budi Santoso"},"phones":[{"phone":"+62 812 0000 0000","type":"CELL"}]}]}""",
            _ => """{"errors":[{"code":131051,"title":"Message type unknown"}],"unsupported":{"type":"poll_update"}}""",
        };
        return head + body[1..];
    }

    private HttpRequestMessage WeChat((string Id, string Customer) m, long ts)
    {
        var xml = $"<xml><ToUserName><![CDATA[gh_sim]]></ToUserName><FromUserName><![CDATA[{m.Customer}]]></FromUserName><CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[运费多少?]]></Content><MsgId>{m.Id}</MsgId></xml>";
        var nonce = Random.Shared.NextInt64(1, long.MaxValue).ToString();   // nonces are remembered: never repeat one
        var timestamp = ts.ToString();
        string url, body;
        if (aesKey is not null)
        {
            var encrypted = WeChatCrypto.Encrypt(xml, aesKey, appId ?? "");
            body = $"<xml><ToUserName><![CDATA[gh_sim]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>";
            url = $"/webhooks/wechat/{channelId}?signature={WeChatCrypto.Signature(secret, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}&encrypt_type=aes&msg_signature={WeChatCrypto.Signature(secret, timestamp, nonce, encrypted)}";
        }
        else
        {
            body = xml;
            url = $"/webhooks/wechat/{channelId}?signature={WeChatCrypto.Signature(secret, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}&openid={m.Customer}";
        }
        return new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "text/xml") };
    }
}
