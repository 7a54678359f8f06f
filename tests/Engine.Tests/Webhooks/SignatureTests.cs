using System.Text;
using Engine.Api.Webhooks.WeChat;
using Engine.Api.Webhooks.WhatsApp;

namespace Engine.Tests.Webhooks;

public class SignatureTests
{
    [Fact]
    public void WhatsApp_signature_matches_the_published_vector()
    {
        var body = Encoding.UTF8.GetBytes("""{"object":"whatsapp_business_account","entry":[]}""");
        Assert.Equal(49, body.Length);
        const string header = "sha256=dec6a680679a968e7e0319355b23599cbfc54502c0784668e9618baa0c633756";
        Assert.True(WhatsAppSignature.IsValid(header, body, "test_app_secret"));
        Assert.True(WhatsAppSignature.IsValid(header.ToUpperInvariant().Replace("SHA256=", "sha256="), body, "test_app_secret"));
        Assert.True(WhatsAppSignature.IsValid("sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914", "test"u8, "secret"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("dec6a680679a968e7e0319355b23599cbfc54502c0784668e9618baa0c633756")] // no prefix
    [InlineData("sha1=dec6a680679a968e7e0319355b23599cbfc54502c0784668e9618baa0c633756")]
    [InlineData("sha256=zz")]
    [InlineData("sha256=dec6a680679a968e7e0319355b23599cbfc54502c0784668e9618baa0c633757")]
    public void WhatsApp_signature_refuses_missing_or_wrong_headers(string? header) =>
        Assert.False(WhatsAppSignature.IsValid(header, Encoding.UTF8.GetBytes("""{"object":"whatsapp_business_account","entry":[]}"""), "test_app_secret"));

    [Fact]
    public void WhatsApp_signature_covers_the_raw_bytes_not_decoded_text()
    {
        var escaped = Encoding.UTF8.GetBytes("""{"text":"caf\u00e9"}""");
        var decoded = Encoding.UTF8.GetBytes("""{"text":"café"}""");
        var header = WhatsAppSignature.Sign(escaped, "k");
        Assert.True(WhatsAppSignature.IsValid(header, escaped, "k"));
        Assert.False(WhatsAppSignature.IsValid(header, decoded, "k"));
    }

    [Theory]
    [InlineData("AAAAA", "1714036504", "1514711492", "f464b24fc39322e44b38aa78f5edd27bd1441696")]
    [InlineData("AAAAA", "1714037059", "486452656", "899cf89e464efb63f54ddac96b0a0a235f53aa78")]
    [InlineData("weixin", "1357982061", "1358161344", "335b26997f05c82243aad6b10a2d1853637e71a8")]
    [InlineData("huhujm", "1359208540", "1359227084", "efa917e2445cc9f0aa4386ca92f96de5a242e24e")]
    public void WeChat_signature_matches_the_official_examples(string token, string timestamp, string nonce, string signature)
    {
        Assert.Equal(signature, WeChatCrypto.Signature(token, timestamp, nonce));
        Assert.True(WeChatCrypto.SignatureMatches(signature, token, timestamp, nonce));
        Assert.False(WeChatCrypto.SignatureMatches(signature, token + "x", timestamp, nonce));
    }

    [Fact]
    public void WeChat_sorting_is_ordinal_not_culture_aware()
    {
        // Under a culture-aware sort "alpha" precedes "Zeta"; byte order puts 'Z' (0x5A) first.
        Assert.Equal(Hex("Zetaalpha"), WeChatCrypto.Signature("alpha", "Zeta"));
    }

    private const string Encrypted = "Q3stYC6hdFzMh9T8HCvyDIGLsyHCgVx+pkCc9alTDKgwu4Tf941CloQ3+SfioHlCyFB24gp64Y2GzE+k90FzaCj3Pxt3hFEMDzQaIcu4qhDRqU0mOaGG3F8ZqdXP5Zr5/jldsvG4FPXKrcUIv8hhH0tgMpm/OTkpxP/uWto37Cy3AL01lFGGAsIVfiGmygzp9DI0lpbIiGG7k8+emZZlwksAREj21l4aYdo1RX+8/56lXfeBE8tDEv3/0yqQVFWMzvXZpq+mRic+vVZftRNGwkP2hUEpw1B4lajq/FzPCO7s5GAUGKYUflZSoOp5cbaUy+EIemRPVPZ8QHWc/TNWHpduABcvXSlUxNwCTx5UY6d+erU3oVq5JxUo+wVWvCneMzFQdvlu8x2Jwtbwemo3tziSsx6g9K0IoCr/m91Ziv8=";
    private const string Plain = "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oUser123]]></FromUserName><CreateTime>1714037059</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>24086087575195331</MsgId></xml>";
    private const string AesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    [Fact]
    public void WeChat_secure_mode_vector_decrypts_including_a_full_32_byte_pad()
    {
        Assert.Equal(Plain, WeChatCrypto.Decrypt(Encrypted, AesKey, "wx1234567890abcdef"));
        Assert.Equal("190ffa92298a28bdfa726ab829bd9317fc9b5329", WeChatCrypto.Signature("AAAAA", "1714037059", "486452656", Encrypted));
    }

    [Fact]
    public void WeChat_encryption_reproduces_the_vector_and_checks_the_app_id()
    {
        Assert.Equal(Encrypted, WeChatCrypto.Encrypt(Plain, AesKey, "wx1234567890abcdef", "0123456789abcdef"u8.ToArray()));
        Assert.Null(WeChatCrypto.Decrypt(Encrypted, AesKey, "wxSomeOtherApp0000"));
        Assert.Null(WeChatCrypto.Decrypt(Encrypted, "bcdefghijklmnopqrstuvwxyz0123456789ABCDEFGa", "wx1234567890abcdef"));
    }

    private static string Hex(string s) => Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes(s)));
}
