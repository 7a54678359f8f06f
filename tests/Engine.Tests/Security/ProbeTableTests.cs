using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Engine.Api.Webhooks.WhatsApp;
using Engine.Tests.Api;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Security;

/// <summary>Every hostile probe of the security review, one row each: what is sent, and the status and code it must
/// get.</summary>
public class ProbeTableTests(WeChatFixture f) : IClassFixture<WeChatFixture>
{
    private sealed record Probe(Func<WeChatFixture, Task<HttpResponseMessage>> Send, HttpStatusCode Status, string? Code);

    private static string OpenId() => "o" + Guid.NewGuid().ToString("N")[..27];
    private static string Text(string openId, string msgId) =>
        $"<xml><ToUserName>gh</ToUserName><FromUserName>{openId}</FromUserName><CreateTime>1760000000</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>{msgId}</MsgId></xml>";

    private static Task<HttpResponseMessage> WhatsApp(WeChatFixture f, byte[] body, string secret = EngineFixture.AppSecret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/whatsapp/{f.WhatsAppChannel}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(WhatsAppSignature.Header, WhatsAppSignature.Sign(body, secret));
        return f.Host.CreateClient().SendAsync(request);
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static readonly Dictionary<string, Probe> Probes = new()
    {
        ["1 WeChat timestamp 6 minutes old"] = new(f => WeChatCallbacks.PostAsync(f.Host.CreateClient(), f.PlainChannel, Text(OpenId(), "1"),
            f.Clock.GetUtcNow().AddMinutes(-6), aesKey: null), HttpStatusCode.Unauthorized, "stale_timestamp"),
        ["1 WeChat signed URL replayed with another body"] = new(async f =>
        {
            var nonce = WeChatCallbacks.NewNonce();
            (await WeChatCallbacks.PostAsync(f.Host.CreateClient(), f.PlainChannel, Text(OpenId(), "2"), f.Clock.GetUtcNow(), aesKey: null, nonce: nonce))
                .EnsureSuccessStatusCode();
            return await WeChatCallbacks.PostAsync(f.Host.CreateClient(), f.PlainChannel, Text(OpenId(), "3"), f.Clock.GetUtcNow(), aesKey: null, nonce: nonce);
        }, HttpStatusCode.Unauthorized, "replayed_nonce"),
        ["1 WeChat plain body on a channel with an EncodingAESKey"] = new(f => WeChatCallbacks.PostAsync(f.Host.CreateClient(), f.WeChatChannel,
            Text(OpenId(), "4"), f.Clock.GetUtcNow(), aesKey: null), HttpStatusCode.Unauthorized, "encryption_required"),
        ["2 WhatsApp body that is not UTF-8"] = new(f => WhatsApp(f, [.. Utf8("{\"object\":\"whatsapp_business_account\",\"entry\":[\""), 0xC3, 0x28, .. Utf8("\"]}")]),
            HttpStatusCode.BadRequest, "malformed_payload"),
        ["2 WhatsApp change for another phone number"] = new(f => WhatsApp(f, Utf8(Wa.TextDelivery("5511900000001", Wa.NewId(), 1760000000, "x",
            phoneNumberId: "123456789012345"))), HttpStatusCode.OK, null),
        ["2 WhatsApp timestamp of the wrong type"] = new(f => WhatsApp(f, Utf8(Wa.TextDelivery("5511900000002", Wa.NewId(), 1760000000, "x")
            .Replace("\"timestamp\":\"1760000000\"", "\"timestamp\":{}"))), HttpStatusCode.BadRequest, "malformed_payload"),
        ["2 WhatsApp text over 4,096 characters"] = new(f => WhatsApp(f, Utf8(Wa.TextDelivery("5511900000003", Wa.NewId(), 1760000000, new string('y', 9000)))),
            HttpStatusCode.OK, null),
        ["2 WhatsApp wrong signature"] = new(f => WhatsApp(f, Utf8(Wa.TextDelivery("5511900000004", Wa.NewId(), 1760000000, "x")), secret: "guess"),
            HttpStatusCode.Unauthorized, "invalid_signature"),
        ["3 WeChat menu event with nested ScanCodeInfo"] = new(f => WeChatCallbacks.PostAsync(f.Host.CreateClient(), f.PlainChannel,
            $"<xml><FromUserName>{OpenId()}</FromUserName><CreateTime>1760000000</CreateTime><MsgType>event</MsgType><Event>scancode_push</Event><EventKey>k</EventKey><ScanCodeInfo><ScanType>qrcode</ScanType><ScanResult>1</ScanResult></ScanCodeInfo></xml>",
            f.Clock.GetUtcNow(), aesKey: null), HttpStatusCode.OK, null),
        ["3 WeChat XML with a DTD"] = new(f => WeChatCallbacks.PostAsync(f.Host.CreateClient(), f.PlainChannel,
            "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><FromUserName>&x;</FromUserName></xml>",
            f.Clock.GetUtcNow(), aesKey: null), HttpStatusCode.BadRequest, "malformed_payload"),
        ["4 Routing rule with a catastrophic pattern"] = new(async f =>
        {
            var team = JsonDocument.Parse(await (await f.Admin.PostAsJsonAsync("/api/v1/teams", new { name = $"Probe {Guid.NewGuid():N}"[..20], strategy = "manual" }))
                .Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
            return await f.Admin.PostAsJsonAsync("/api/v1/routing-rules", new { teamId = team, pattern = "^(a+)+$" });
        }, HttpStatusCode.BadRequest, "validation_failed"),
        ["5 API key expiring in the past"] = new(f => f.Admin.PostAsJsonAsync("/api/v1/api-keys", new { name = "x", role = "Analyst", expiresAt = f.Clock.GetUtcNow().AddDays(-1) }),
            HttpStatusCode.BadRequest, "validation_failed"),
        ["6 Log-in body over 4 KB"] = new(f => f.Host.CreateClient().PostAsJsonAsync("/api/v1/auth/login", new { email = "a@example.com", password = new string('p', 6000) }),
            HttpStatusCode.RequestEntityTooLarge, "payload_too_large"),
        ["6 Log-in with an unknown email"] = new(f => f.Host.CreateClient().PostAsJsonAsync("/api/v1/auth/login", new { email = $"{Guid.NewGuid():N}@example.com", password = "whatever-it-is" }),
            HttpStatusCode.Unauthorized, "invalid_credentials"),
        ["7 Cookie-authenticated POST from another site"] = new(async f =>
        {
            var email = $"probe.{Guid.NewGuid():N}@example.com";
            (await f.Admin.PostAsJsonAsync("/api/v1/users", new { email, name = "Probe", role = "Agent", password = "probe-password-1" })).EnsureSuccessStatusCode();
            var login = await f.Host.CreateClient().PostAsJsonAsync("/api/v1/auth/login", new { email, password = "probe-password-1" });
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/me/presence") { Content = JsonContent.Create(new { presence = "away" }) };
            request.Headers.Add("Cookie", login.Headers.GetValues("Set-Cookie").First().Split(';')[0]);
            request.Headers.Add("Origin", "https://attacker.example");
            return await f.Host.CreateClient().SendAsync(request);
        }, HttpStatusCode.Forbidden, "origin_mismatch"),
        ["11 Webhook to the cloud metadata address"] = new(f => f.Admin.PostAsJsonAsync("/api/v1/webhooks",
            new { url = "http://169.254.169.254/latest/meta-data", events = new[] { "message.received" } }), HttpStatusCode.BadRequest, "validation_failed"),
    };

    public static TheoryData<string> Names() => [.. Probes.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Each_probe_gets_its_answer(string name)
    {
        var probe = Probes[name];
        var response = await probe.Send(f);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(probe.Status == response.StatusCode, $"{name}: {(int)response.StatusCode} {body}");
        if (probe.Code is not null) Assert.Equal(probe.Code, JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
    }
}
