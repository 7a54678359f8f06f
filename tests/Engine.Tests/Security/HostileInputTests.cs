using System.Collections.Concurrent;
using System.Net;
using System.Text;
using CsCheck;
using Engine.Api.Webhooks.WeChat;
using Engine.Api.Webhooks.WhatsApp;
using Engine.Tests.Api;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Security;

/// <summary>
/// Generated hostile deliveries (CsCheck): valid WhatsApp and WeChat bodies mutated by bit flips, truncation, wrong
/// types, huge and deeply nested values, bad encodings and duplicate keys, correctly signed so they reach the parsers.
/// Each is answered 2xx or 4xx, never 5xx, and afterwards the database holds exactly the messages of the deliveries
/// that were acknowledged.
/// </summary>
public class HostileInputTests(WeChatFixture f) : IClassFixture<WeChatFixture>
{
    private const int Deliveries = 5_000;   // per provider: 10,000 in all

    private enum Mutation { None, FlipBits, Truncate, WrongType, Huge, Nested, BadEncoding, DuplicateKey, Splice }

    private static readonly Mutation[] All = Enum.GetValues<Mutation>();

    private static string WhatsAppBody(int n) => (n % 4) switch
    {
        0 => Wa.TextDelivery($"55{n:D11}", $"wamid.fz{n}", 1760000000 + n, $"hello {n}"),
        1 => Wa.Envelope($"[{Wa.Contact($"55{n:D11}", "Fuzz")}]",
            "[" + Message(n, "", "image", "{\"id\":\"m" + n + "\",\"mime_type\":\"image/jpeg\",\"sha256\":\"x\",\"caption\":\"photo\"}") + ","
            + Message(n, "b", "interactive", "{\"type\":\"button_reply\",\"button_reply\":{\"id\":\"a\",\"title\":\"Yes\"}}") + "]"),
        2 => Wa.StatusDelivery(Wa.Status($"wamid.out{n}", "delivered", 1760000000 + n)),
        _ => Wa.Envelope("[]", "[" + Message(n, "", "location", "{\"latitude\":1.5,\"longitude\":2.5}") + "]"),
    };

    private static string Message(int n, string suffix, string type, string content) =>
        "{\"from\":\"55" + n.ToString("D11") + "\",\"id\":\"wamid.fz" + n + suffix + "\",\"timestamp\":\"" + (1760000000 + n)
        + "\",\"type\":\"" + type + "\",\"" + type + "\":" + content + "}";

    private static string WeChatBody(int n) => (n % 3) switch
    {
        0 => $"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[ofz{n}]]></FromUserName><CreateTime>{1760000000 + n}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好 {n}]]></Content><MsgId>{9_000_000 + n}</MsgId></xml>",
        1 => $"<xml><FromUserName>ofz{n}</FromUserName><CreateTime>{1760000000 + n}</CreateTime><MsgType>event</MsgType><Event>pic_weixin</Event><EventKey>k</EventKey><SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>a</PicMd5Sum></item></PicList></SendPicsInfo></xml>",
        _ => "{\"ToUserName\":\"gh\",\"FromUserName\":\"ofz" + n + "\",\"CreateTime\":" + (1760000000 + n)
            + ",\"MsgType\":\"text\",\"Content\":\"json " + n + "\",\"MsgId\":" + (9_000_000 + n) + "}",
    };

    private static byte[] Mutate(string body, Mutation mutation, Random random)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        switch (mutation)
        {
            case Mutation.FlipBits:
                for (var i = random.Next(1, 6); i > 0; i--) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case Mutation.Truncate:
                return bytes[..random.Next(bytes.Length)];
            case Mutation.WrongType:
                foreach (var key in new[] { "\"timestamp\":", "\"id\":", "\"messages\":", "\"from\":", "\"entry\":", "\"CreateTime\":", "\"body\":" })
                    if (body.Contains(key))
                        return Encoding.UTF8.GetBytes(ReplaceValue(body, key, random.Next(5) switch
                        {
                            0 => "{}", 1 => "[1,2]", 2 => "true", 3 => "null", _ => "99999999999999999999999999",
                        }));
                return Encoding.UTF8.GetBytes(body.Replace("<CreateTime>", "<CreateTime>x"));
            case Mutation.Huge:
                var huge = new string('ж', random.Next(5_000, 200_000));
                return Encoding.UTF8.GetBytes(body.Contains("hello") ? body.Replace("hello", huge)
                    : body.Contains("你好") ? body.Replace("你好", huge) : body.Replace("Fuzz", huge));
            case Mutation.Nested:
                var depth = random.Next(50, 3_000);
                return Encoding.UTF8.GetBytes(body.TrimStart().StartsWith('<')
                    ? body.Replace("</xml>", string.Concat(Enumerable.Repeat("<a>", depth)) + string.Concat(Enumerable.Repeat("</a>", depth)) + "</xml>")
                    : body.Replace("\"object\":", "\"deep\":" + new string('[', depth) + new string(']', depth) + ",\"object\":"));
            case Mutation.BadEncoding:
                var at = random.Next(bytes.Length);
                var bad = random.Next(3) switch { 0 => new byte[] { 0xC3, 0x28 }, 1 => new byte[] { 0xFF, 0xFE }, _ => new byte[] { 0xED, 0xA0, 0x80 } };
                return [.. bytes[..at], .. bad, .. bytes[at..]];
            case Mutation.DuplicateKey:
                return Encoding.UTF8.GetBytes(body.TrimStart().StartsWith('<')
                    ? body.Replace("<MsgType>", "<MsgType>text</MsgType><MsgType>")
                    : body.Replace("\"id\":", "\"id\":\"dup\",\"id\":"));
            case Mutation.Splice:
                var start = random.Next(bytes.Length);
                var length = random.Next(Math.Min(64, bytes.Length - start) + 1);
                return [.. bytes[..start], .. bytes[(start + length)..], .. bytes[start..(start + length)]];
            default:
                return bytes;
        }
    }

    private static string ReplaceValue(string body, string key, string value)
    {
        var at = body.IndexOf(key, StringComparison.Ordinal) + key.Length;
        var end = at;
        if (body[end] == '"') end = body.IndexOf('"', end + 1) + 1;
        else if (body[end] is '{' or '[') return body[..at] + value + "," + "\"was\":" + body[at..];
        else while (end < body.Length && body[end] is not (',' or '}' or ']')) end++;
        return body[..at] + value + body[end..];
    }

    [Fact]
    public async Task Mutated_deliveries_are_answered_2xx_or_4xx_and_only_acknowledged_ones_are_stored()
    {
        var whatsAppIds = new ConcurrentDictionary<string, byte>();
        var weChatIds = new ConcurrentDictionary<string, byte>();
        var statuses = new ConcurrentDictionary<int, int>();
        var counter = 0;
        var gen = Gen.Select(Gen.Int[0, All.Length - 1], Gen.Int, Gen.Bool);
        await gen.SampleAsync(async sample =>
        {
            var (mutationIndex, seed, weChat) = sample;
            var n = Interlocked.Increment(ref counter);
            var random = new Random(seed);
            var client = f.Host.CreateClient();
            HttpResponseMessage response;
            byte[] body;
            if (weChat)
            {
                body = Mutate(WeChatBody(n), All[mutationIndex], random);
                response = await client.PostAsync($"/webhooks/wechat/{f.PlainChannel}?{WeChatCallbacks.PlainQuery(f.Clock.GetUtcNow())}",
                    new ByteArrayContent(body));
            }
            else
            {
                body = Mutate(WhatsAppBody(n), All[mutationIndex], random);
                var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/whatsapp/{f.WhatsAppChannel}") { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new("application/json");
                request.Headers.Add(WhatsAppSignature.Header, WhatsAppSignature.Sign(body, EngineFixture.AppSecret));
                response = await client.SendAsync(request);
            }
            var status = (int)response.StatusCode;
            statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
            Assert.True(status is >= 200 and < 500, $"{(weChat ? "WeChat" : "WhatsApp")} {All[mutationIndex]} answered {status}: " +
                await response.Content.ReadAsStringAsync());
            if (status != 200) return;
            // What an acknowledged delivery stored: exactly what the engine's own parser reads from it.
            if (weChat)
                foreach (var m in WeChatPayload.Parse(f.PlainChannel, WeChatPayload.Read(body)).Messages) weChatIds.TryAdd(m.ProviderMessageId, 0);
            else
                foreach (var m in WhatsAppPayload.Parse(f.WhatsAppChannel, Wa.PhoneNumberId, body).Batch.Messages) whatsAppIds.TryAdd(m.ProviderMessageId, 0);
        }, iter: 2 * Deliveries, threads: 4);

        Assert.True(statuses.GetValueOrDefault(200) > 1000, "many deliveries get through: " + string.Join(", ", statuses));
        Assert.True(statuses.Where(s => s.Key >= 400).Sum(s => s.Value) > 1000, "many are refused: " + string.Join(", ", statuses));
        foreach (var (channel, expected) in new[] { (f.WhatsAppChannel, whatsAppIds), (f.PlainChannel, weChatIds) })
        {
            var stored = await f.Db.ScalarAsync<string[]>(
                "select coalesce(array_agg(provider_message_id), '{}') from messages where channel_id = @c and direction = 'in'", ("c", channel));
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
        }
    }
}
