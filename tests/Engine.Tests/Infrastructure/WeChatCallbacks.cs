using System.Text;
using Engine.Api.Webhooks.WeChat;

namespace Engine.Tests.Infrastructure;

/// <summary>Signs WeChat callbacks as WeChat does: a fresh nonce, the server's current time, encrypted when the
/// channel has a key.</summary>
public static class WeChatCallbacks
{
    public static string NewNonce() => Random.Shared.NextInt64(1, long.MaxValue).ToString();

    /// <summary>The query string of a plain-mode callback.</summary>
    public static string PlainQuery(DateTimeOffset now, string token = EngineFixture.WeChatToken, string? nonce = null)
    {
        var ts = now.ToUnixTimeSeconds().ToString();
        nonce ??= NewNonce();
        return $"signature={WeChatCrypto.Signature(token, ts, nonce)}&timestamp={ts}&nonce={nonce}&openid=x";
    }

    /// <summary>Posts <paramref name="body"/> (XML or JSON) as plain text, or encrypted under <paramref
    /// name="aesKey"/>.</summary>
    public static Task<HttpResponseMessage> PostAsync(HttpClient client, Guid channel, string body, DateTimeOffset now,
        string? aesKey = EngineFixture.AesKey, string token = EngineFixture.WeChatToken, string? nonce = null, bool badMsgSignature = false)
    {
        if (aesKey is null)
            return client.PostAsync($"/webhooks/wechat/{channel}?{PlainQuery(now, token, nonce)}", new StringContent(body, Encoding.UTF8, "text/xml"));
        var ts = now.ToUnixTimeSeconds().ToString();
        nonce ??= NewNonce();
        var encrypted = WeChatCrypto.Encrypt(body, aesKey, EngineFixture.WeChatAppId);
        var envelope = $"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>";
        return client.PostAsync(
            $"/webhooks/wechat/{channel}?signature={WeChatCrypto.Signature(token, ts, nonce)}&timestamp={ts}&nonce={nonce}"
            + $"&encrypt_type=aes&msg_signature={(badMsgSignature ? new string('0', 40) : WeChatCrypto.Signature(token, ts, nonce, encrypted))}",
            new StringContent(envelope, Encoding.UTF8, "text/xml"));
    }
}
