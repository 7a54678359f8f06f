using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Engine.Silo.Media;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>
/// A customer's photo or document is fetched from the (fake) Graph API over HTTP on receipt, checked against its
/// SHA-256, stored once per content and served only to those who may read the conversation; each documented failure
/// (no such media, hash mismatch, expired URL, too large) ends as the rules say.
/// </summary>
public class InboundMediaTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private static string Phone() => "5511933" + Random.Shared.NextInt64(100_000, 999_999);

    /// <summary>The customer sends media (the webhook as Meta shapes it); returns the stored message's id.</summary>
    private async Task<Guid> SendsAsync(string phone, string type, string mediaId, string sha256, string mime,
        string? filename = null, string? caption = null)
    {
        var wamid = Wa.NewId();
        var message = Wa.Media(phone, wamid, f.Clock.GetUtcNow().ToUnixTimeSeconds(), type, mediaId, sha256, mime, filename, caption);
        (await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.Envelope($"[{Wa.Contact(phone, "Ana Lima")}]", $"[{message}]"))).EnsureSuccessStatusCode();
        return await f.Db.ScalarAsync<Guid>("select id from messages where provider_message_id = @w", ("w", wamid));
    }

    private async Task<JsonElement> MediaOfAsync(Guid message)
    {
        var conversation = await f.Db.ScalarAsync<Guid>("select conversation_id from messages where id = @m", ("m", message));
        var page = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conversation}/messages?limit=500");
        return page.GetProperty("items").EnumerateArray().Single(m => m.GetProperty("id").GetGuid() == message).GetProperty("media");
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private async Task<string> RefusalAsync(Guid message, string expectedCode)
    {
        var r = await f.Admin.GetAsync($"/api/v1/messages/{message}/media");
        Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
        var body = await r.Content.ReadAsStringAsync();
        Assert.Contains($"\"code\":\"{expectedCode}\"", body);
        return body;
    }

    [Fact]
    public async Task A_photo_is_fetched_on_receipt_stored_once_and_shown_inline_to_those_who_may_read_it()
    {
        var photo = RandomNumberGenerator.GetBytes(3000);
        var first = await SendsAsync(Phone(), "image", f.Provider.AddMedia(photo, "image/jpeg"), Sha(photo), "image/jpeg",
            caption: "the box arrived crushed");
        Assert.Equal("pending", (await MediaOfAsync(first)).GetProperty("status").GetString());
        await RefusalAsync(first, "media_pending");
        await f.DrainAsync();

        var media = await MediaOfAsync(first);
        Assert.Equal("stored", media.GetProperty("status").GetString());
        Assert.Equal(3000, media.GetProperty("size").GetInt64());
        var served = await f.Admin.GetAsync(media.GetProperty("url").GetString());
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(photo, await served.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/jpeg", served.Content.Headers.ContentType?.MediaType);
        Assert.Equal("inline", served.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Contains("sandbox", served.Headers.GetValues("Content-Security-Policy").Single());

        // The same picture from another customer is kept once.
        var second = await SendsAsync(Phone(), "image", f.Provider.AddMedia(photo, "image/jpeg"), Sha(photo), "image/jpeg");
        await f.DrainAsync();
        Assert.Equal("stored", (await MediaOfAsync(second)).GetProperty("status").GetString());
        Assert.Equal(1, await f.Db.CountAsync("from (select distinct sha256 from message_media where message_id = any(@m)) s",
            ("m", new[] { first, second })));
        var root = ((DirectoryMediaStore)f.Host.Service<IMediaStore>()).Root;
        Assert.Single(Directory.GetFiles(root, Sha(photo), SearchOption.AllDirectories));

        // An agent who may not read the conversation does not learn it exists; nobody signed out gets it.
        var (_, agent) = await TeamFixture.AgentAsync(f, "Outsider Olga", online: false);
        Assert.Equal(HttpStatusCode.NotFound, (await agent.GetAsync($"/api/v1/messages/{first}/media")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await f.Host.CreateClient().GetAsync($"/api/v1/messages/{first}/media")).StatusCode);
    }

    [Fact]
    public async Task A_document_is_served_as_an_attachment_under_its_file_name()
    {
        var pdf = RandomNumberGenerator.GetBytes(1200);
        var message = await SendsAsync(Phone(), "document", f.Provider.AddMedia(pdf, "application/pdf"), Sha(pdf),
            "application/pdf", filename: "invoice-2231.pdf");
        await f.DrainAsync();
        var served = await f.Admin.GetAsync($"/api/v1/messages/{message}/media");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("attachment", served.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("invoice-2231.pdf", served.Content.Headers.ContentDisposition?.FileNameStar
            ?? served.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal(pdf, await served.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Media_the_provider_does_not_have_is_unavailable_with_the_reason()
    {
        var message = await SendsAsync(Phone(), "audio", "1234567890999", Sha([1, 2, 3]), "audio/ogg");
        await f.DrainAsync();
        var media = await MediaOfAsync(message);
        Assert.Equal("unavailable", media.GetProperty("status").GetString());
        Assert.Contains("does not exist", media.GetProperty("reason").GetString());
        Assert.Contains("does not exist", await RefusalAsync(message, "media_unavailable"));
    }

    [Fact]
    public async Task Bytes_that_do_not_match_the_webhooks_hash_are_tried_again_then_refused()
    {
        var bytes = RandomNumberGenerator.GetBytes(500);
        var claimed = Sha(RandomNumberGenerator.GetBytes(10));
        var message = await SendsAsync(Phone(), "image", f.Provider.AddMedia(bytes, "image/png", claimed), claimed, "image/png");
        await f.DrainAsync();
        Assert.Equal("pending", (await MediaOfAsync(message)).GetProperty("status").GetString());   // once more
        f.Clock.Advance(TimeSpan.FromSeconds(5));
        await f.DrainAsync();
        var media = await MediaOfAsync(message);
        Assert.Equal("unavailable", media.GetProperty("status").GetString());
        Assert.StartsWith("sha256 mismatch", media.GetProperty("reason").GetString());
        Assert.Empty(Directory.GetFiles(((DirectoryMediaStore)f.Host.Service<IMediaStore>()).Root, Sha(bytes),
            SearchOption.AllDirectories));
    }

    [Fact]
    public async Task An_expired_download_url_is_asked_for_again()
    {
        var video = RandomNumberGenerator.GetBytes(800);
        var id = f.Provider.AddMedia(video, "video/mp4");
        Interlocked.Exchange(ref f.Provider.ExpireNextMediaUrls, 1);
        var message = await SendsAsync(Phone(), "video", id, Sha(video), "video/mp4");
        await f.DrainAsync();
        Assert.Equal("pending", (await MediaOfAsync(message)).GetProperty("status").GetString());
        f.Clock.Advance(TimeSpan.FromSeconds(5));
        await f.DrainAsync();
        Assert.Equal("stored", (await MediaOfAsync(message)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_attachment_over_the_business_limit_is_not_stored()
    {
        var bad = await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { mediaMaxBytes = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        (await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { mediaMaxBytes = 1000 })).EnsureSuccessStatusCode();
        try
        {
            var big = RandomNumberGenerator.GetBytes(1001);
            var message = await SendsAsync(Phone(), "image", f.Provider.AddMedia(big, "image/jpeg"), Sha(big), "image/jpeg");
            var downloads = f.Provider.MediaDownloads;
            await f.DrainAsync();
            var media = await MediaOfAsync(message);
            Assert.Equal("unavailable", media.GetProperty("status").GetString());
            Assert.StartsWith("too large: 1001 bytes", media.GetProperty("reason").GetString());
            Assert.Equal(downloads, f.Provider.MediaDownloads);   // refused from the description, never downloaded
        }
        finally
        {
            (await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { mediaMaxBytes = 104_857_600 })).EnsureSuccessStatusCode();
        }
    }

    private async Task<Guid> WeChatSendsAsync(string openId, string type, string mediaId, string extra = "")
    {
        var msgId = Random.Shared.NextInt64(1, long.MaxValue);
        var xml = $"<xml><ToUserName>gh</ToUserName><FromUserName>{openId}</FromUserName>"
            + $"<CreateTime>{f.Clock.GetUtcNow().ToUnixTimeSeconds()}</CreateTime><MsgType>{type}</MsgType>"
            + $"<MediaId>{mediaId}</MediaId>{extra}<MsgId>{msgId}</MsgId></xml>";
        (await WeChatCallbacks.PostAsync(f.Host.CreateClient(), f.WeChatChannel, xml, f.Clock.GetUtcNow())).EnsureSuccessStatusCode();
        return await f.Db.ScalarAsync<Guid>("select id from messages where provider_message_id = @m", ("m", msgId.ToString()));
    }

    [Fact]
    public async Task A_wechat_photo_comes_from_the_temporary_media_api_and_a_lost_voice_note_is_unavailable()
    {
        var openId = "oMedia" + Guid.NewGuid().ToString("N")[..22];
        var photo = RandomNumberGenerator.GetBytes(900);
        var image = await WeChatSendsAsync(openId, "image", f.Provider.AddMedia(photo, "image/jpeg"),
            "<PicUrl>http://mmbiz.qpic.cn/fake.jpg</PicUrl>");
        var voice = await WeChatSendsAsync(openId, "voice", "LOST_MEDIA_ID", "<Format>amr</Format>");
        await f.DrainAsync();

        var served = await f.Admin.GetAsync($"/api/v1/messages/{image}/media");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(photo, await served.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/jpeg", served.Content.Headers.ContentType?.MediaType);
        var lost = await MediaOfAsync(voice);
        Assert.Equal("unavailable", lost.GetProperty("status").GetString());
        Assert.Contains("40007", lost.GetProperty("reason").GetString());
    }
}
