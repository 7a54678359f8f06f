using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>
/// Agents and integrators attach files: uploaded to the engine (identified from the bytes, checked against the channel's
/// documented types and sizes), then sent by uploading them to the (fake) provider over HTTP as the first step of the
/// durable send, and sent by the media id it answers with.
/// </summary>
public class OutboundAttachmentTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private const string PhoneNumberId = "990123456789012";

    private static string Phone() => "5511944" + Random.Shared.NextInt64(100_000, 999_999);

    private Task<HttpResponseMessage> UploadAsync(Guid conversation, byte[] content, string filename,
        string contentType = "application/octet-stream", HttpClient? client = null)
    {
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return (client ?? f.Admin).PostAsync($"/api/v1/conversations/{conversation}/attachments",
            new MultipartFormDataContent { { file, "file", filename } });
    }

    private async Task<JsonElement> UploadedAsync(Guid conversation, byte[] content, string filename)
    {
        var r = await UploadAsync(conversation, content, filename);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return await r.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>The refusal's code and detail.</summary>
    private static async Task<(string Code, string Detail)> RefusalOf(HttpResponseMessage r)
    {
        var body = await r.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("code").GetString()!,
            body.TryGetProperty("detail", out var detail) ? detail.GetString()! : "");
    }

    private long Attachments(Guid conversation) =>
        f.Db.CountAsync("from attachments where conversation_id = @c", ("c", conversation)).GetAwaiter().GetResult();

    [Fact]
    public async Task A_photo_is_measured_on_upload_uploaded_to_whatsapp_in_the_send_and_sent_by_its_media_id()
    {
        var conversation = await f.CustomerWritesAsync(Phone());
        var png = TestImages.Png(1024, 768);
        // The browser's declared type is not believed: the bytes say PNG.
        var attachment = await UploadedAsync(conversation, png, "replacement.png");
        Assert.Equal("image", attachment.GetProperty("type").GetString());
        Assert.Equal("image/png", attachment.GetProperty("contentType").GetString());
        Assert.Equal(1024, attachment.GetProperty("width").GetInt32());
        Assert.Equal(768, attachment.GetProperty("height").GetInt32());
        Assert.StartsWith("image_dimensions: 1024×768", attachment.GetProperty("warnings")[0].GetString());
        var id = attachment.GetProperty("id").GetGuid();
        var described = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conversation}/attachments/{id}");
        Assert.Equal(png.Length, described.GetProperty("size").GetInt64());

        var uploadsBefore = f.Provider.UploadRequests;
        var r = await f.SendAsync(conversation, new { type = "image", media = new { attachmentId = id, caption = "the new one" } });
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        var sent = await r.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(sent.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith("image_dimensions"));
        var message = sent.GetProperty("message").GetProperty("id").GetGuid();
        // Accepted is not uploaded: the provider sees the file only when the send runs.
        Assert.Equal(uploadsBefore, f.Provider.UploadRequests);
        await f.DrainAsync();

        var body = JsonDocument.Parse(f.Provider.Sent.Single(s => s.IdempotencyKey == message.ToString()).Body).RootElement;
        var mediaId = body.GetProperty("image").GetProperty("id").GetString()!;
        Assert.Equal("the new one", body.GetProperty("image").GetProperty("caption").GetString());
        var upload = f.Provider.Uploads[mediaId];
        Assert.Equal((PhoneNumberId, "image/png"), (upload.Owner, upload.MimeType));
        Assert.Equal(png, upload.Bytes);
        Assert.Equal(uploadsBefore + 1, f.Provider.UploadRequests);
        Assert.Equal("accepted", (await f.MessageAsync(conversation, message)).GetProperty("status").GetString());

        // The thread shows the agent's photo like a customer's, served from the engine.
        var media = (await f.MessageAsync(conversation, message)).GetProperty("media");
        Assert.Equal("stored", media.GetProperty("status").GetString());
        Assert.Equal(png, await f.Admin.GetByteArrayAsync(media.GetProperty("url").GetString()));
        Assert.Equal(mediaId, await f.Db.ScalarAsync<string>(
            "select provider_media_id from message_media where message_id = @m", ("m", message)));
    }

    [Fact]
    public async Task A_retried_send_reuses_the_upload_it_recorded()
    {
        var conversation = await f.CustomerWritesAsync(Phone());
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n% the customer's invoice\n%%EOF");
        var attachment = await UploadedAsync(conversation, pdf, "invoice-77.pdf");
        Assert.Equal(("document", "application/pdf", "invoice-77.pdf"), (attachment.GetProperty("type").GetString(),
            attachment.GetProperty("contentType").GetString(), attachment.GetProperty("filename").GetString()));
        Assert.Empty(attachment.GetProperty("warnings").EnumerateArray());

        var uploadsBefore = f.Provider.UploadRequests;
        f.Provider.FailNext(1, 500, 131000, "Something went wrong");   // the send (not the upload) fails once
        var r = await f.SendAsync(conversation, new { type = "document", media = new { attachmentId = attachment.GetProperty("id") } });
        var message = await OutboundFixture.MessageIdOf(r);
        await f.DrainAsync();
        Assert.Equal("queued", (await f.MessageAsync(conversation, message)).GetProperty("status").GetString());
        f.Clock.Advance(TimeSpan.FromMinutes(5));
        await f.DrainAsync();

        Assert.Equal("accepted", (await f.MessageAsync(conversation, message)).GetProperty("status").GetString());
        Assert.Equal(uploadsBefore + 1, f.Provider.UploadRequests);
        var body = JsonDocument.Parse(f.Provider.Sent.Single(s => s.IdempotencyKey == message.ToString()).Body).RootElement;
        Assert.Equal("invoice-77.pdf", body.GetProperty("document").GetProperty("filename").GetString());
        Assert.Equal(pdf, f.Provider.Uploads[body.GetProperty("document").GetProperty("id").GetString()!].Bytes);
    }

    [Fact]
    public async Task Files_a_channel_cannot_send_are_refused_and_kept_nowhere()
    {
        var conversation = await f.CustomerWritesAsync(Phone());
        // A program named like a PDF, an SVG (script in an image), a GIF (WhatsApp sends no GIFs).
        var program = await UploadAsync(conversation, Encoding.ASCII.GetBytes("MZ\u0090\0 program"), "invoice.pdf", "application/pdf");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, program.StatusCode);
        Assert.Equal("unsupported_media_type", (await RefusalOf(program)).Code);
        var svg = await UploadAsync(conversation, Encoding.ASCII.GetBytes("<svg onload=alert(1)/>"), "x.svg", "image/svg+xml");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, svg.StatusCode);
        var gif = await UploadAsync(conversation, Encoding.ASCII.GetBytes("GIF89a\u0010\0\u0010\0"), "a.gif", "image/gif");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, gif.StatusCode);
        Assert.Contains("image/gif", (await RefusalOf(gif)).Detail);

        // Over WhatsApp's 5 MB for images; over the business's own limit.
        var big = new byte[5 * 1024 * 1024 + 1];
        TestImages.Png(8, 8).CopyTo(big, 0);
        var tooBig = await UploadAsync(conversation, big, "big.png");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        var (code, detail) = await RefusalOf(tooBig);
        Assert.Equal("attachment_too_large", code);
        Assert.Contains("5 MB", detail);
        (await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { mediaMaxBytes = 100 })).EnsureSuccessStatusCode();
        try
        {
            var overBusiness = await UploadAsync(conversation, TestImages.Png(40, 40), "small.png");
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, overBusiness.StatusCode);
            Assert.Contains("business", (await RefusalOf(overBusiness)).Detail);
        }
        finally
        {
            (await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { mediaMaxBytes = 104_857_600 })).EnsureSuccessStatusCode();
        }

        // No file, an empty file, a JSON body instead of a form.
        var empty = await f.Admin.PostAsync($"/api/v1/conversations/{conversation}/attachments",
            new MultipartFormDataContent { { new StringContent("x"), "note" } });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await UploadAsync(conversation, [], "empty.pdf")).StatusCode);
        var json = await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/attachments", new { file = "x" });
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Equal("unsupported_media_type", (await RefusalOf(json)).Code);
        Assert.Equal(0L, Attachments(conversation));
    }

    [Fact]
    public async Task A_send_names_only_an_attachment_of_its_conversation_and_of_the_type_it_is()
    {
        var mine = await f.CustomerWritesAsync(Phone());
        var other = await f.CustomerWritesAsync(Phone());
        var theirs = (await UploadedAsync(other, TestImages.Png(800, 600), "p.png")).GetProperty("id");
        var wrongConversation = await f.SendAsync(mine, new { type = "image", media = new { attachmentId = theirs } });
        Assert.Equal(HttpStatusCode.BadRequest, wrongConversation.StatusCode);
        Assert.Contains("media.attachmentId", await wrongConversation.Content.ReadAsStringAsync());

        var photo = await UploadedAsync(mine, TestImages.Png(800, 600), "p.png");
        Assert.Empty(photo.GetProperty("warnings").EnumerateArray());   // the recommended size
        var asDocument = await f.SendAsync(mine, new { type = "document", media = new { attachmentId = photo.GetProperty("id") } });
        Assert.Equal(HttpStatusCode.BadRequest, asDocument.StatusCode);
        Assert.Contains("media.contentType", await asDocument.Content.ReadAsStringAsync());
        Assert.Equal(0, await f.Db.CountAsync("from messages where conversation_id = @c and direction = 'out'", ("c", mine)));
    }

    [Fact]
    public async Task On_wechat_a_photo_goes_up_as_temporary_media_and_documents_are_refused()
    {
        var openId = "o" + Guid.NewGuid().ToString("N")[..27];
        var ts = f.Clock.GetUtcNow().ToUnixTimeSeconds();
        var xml = $"<xml><ToUserName>gh</ToUserName><FromUserName>{openId}</FromUserName><CreateTime>{ts}</CreateTime>"
            + $"<MsgType>text</MsgType><Content>在吗</Content><MsgId>{Random.Shared.NextInt64(1, long.MaxValue)}</MsgId></xml>";
        (await WeChatCallbacks.PostAsync(f.Host.CreateClient(), f.WeChatChannel, xml, f.Clock.GetUtcNow())).EnsureSuccessStatusCode();
        f.Provider.CustomerWrote(openId);
        var conversation = await f.Db.ScalarAsync<Guid>(
            "select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @o", ("o", openId));

        var pdf = await UploadAsync(conversation, Encoding.ASCII.GetBytes("%PDF-1.4\n%%EOF"), "invoice.pdf");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, pdf.StatusCode);
        Assert.Contains("WeChat", (await RefusalOf(pdf)).Detail);

        // A photo named without an extension: the upload still carries the one WeChat reads the format from.
        var attachment = await UploadedAsync(conversation, TestImages.Png(800, 600), "photo");
        Assert.Equal("photo", attachment.GetProperty("filename").GetString());
        // WeChat first answers the upload without a media id: nothing is sent until an upload gives one.
        f.Provider.OmitNextUploadIds = 1;
        var r = await f.SendAsync(conversation, new { type = "image", media = new { attachmentId = attachment.GetProperty("id") } });
        var message = await OutboundFixture.MessageIdOf(r);
        await f.DrainAsync();
        Assert.Equal("queued", (await f.MessageAsync(conversation, message)).GetProperty("status").GetString());
        Assert.DoesNotContain(f.Provider.Sent, s => s.Recipient == openId && s.Type == "image");
        f.Clock.Advance(TimeSpan.FromMinutes(5));
        await f.DrainAsync();

        Assert.Equal("sent", (await f.MessageAsync(conversation, message)).GetProperty("status").GetString());
        var body = JsonDocument.Parse(f.Provider.Sent.Last(s => s.Recipient == openId).Body).RootElement;
        var mediaId = body.GetProperty("image").GetProperty("media_id").GetString()!;
        var upload = f.Provider.Uploads[mediaId];
        Assert.Equal(("wechat", "image"), (upload.Provider, upload.Kind));
        Assert.Equal("photo.png", upload.Filename);
    }
}
