using Engine.Silo.Channels;
using Engine.Silo.Database;
using Engine.Silo.Media;
using Npgsql;

namespace Engine.Silo.Outbound;

/// <summary>
/// The first step of sending an uploaded attachment: the file goes to the provider (WhatsApp's media endpoint,
/// WeChat's temporary media) and the media id it answers with is recorded on the message before the message is sent by
/// it. A retried send (after a provider error, or on another node after this one died) reuses a recorded id while the
/// provider still keeps the media (WhatsApp 30 days, WeChat 3), so a file is uploaded again only when the node died
/// between the upload and the record — the provider then holds an unused copy, the customer still gets one message.
/// </summary>
public sealed class AttachmentUploads(IMediaStore store, WhatsAppClient whatsApp, WeChatClient weChat, TimeProvider clock)
{
    /// <summary>How long a recorded upload is relied on: a margin inside what each provider keeps.</summary>
    public static TimeSpan Reuse(string channelKind) =>
        channelKind == ChannelKinds.WeChat ? TimeSpan.FromDays(2) : TimeSpan.FromDays(25);

    /// <summary>The provider's media id for the message's attachment (uploading it when needed), as
    /// <see cref="ProviderResult.Sent"/>; a failure as the provider's error.</summary>
    public async Task<ProviderResult> MediaIdAsync(NpgsqlConnection conn, Channel channel, Guid messageId, string type,
        CancellationToken ct)
    {
        var row = (await Sql.QueryAsync(conn, null, """
            select provider_media_id, uploaded_at, sha256, content_type, filename, status from message_media
             where message_id = @m
            """, r => (Id: r.NullableString(0), At: r.NullableTime(1), Sha256: r.NullableString(2),
                ContentType: r.NullableString(3), Filename: r.NullableString(4), Status: r.GetString(5)), ct,
            ("m", messageId))).SingleOrDefault();
        if (row.Status is null) return new ProviderResult.Permanent(null, "The message's attachment is missing.");
        var now = clock.GetUtcNow();
        if (row.Id is { } recorded && row.At is { } at && now - at < Reuse(channel.Kind))
            return new ProviderResult.Sent(recorded);
        if (row.Status != "stored" || row.Sha256 is null)
            return new ProviderResult.Permanent(null, "The attachment was erased before it could be sent.");
        byte[] content;
        await using (var file = store.Open(row.Sha256))
        {
            if (file is null) return new ProviderResult.Permanent(null, "The attachment is no longer in the media store.");
            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer, ct);
            content = buffer.ToArray();
        }
        var contentType = row.ContentType ?? "application/octet-stream";
        // WeChat reads the format from the name's extension: a name without the right one gets it added.
        var extension = MediaSniffer.ExtensionOf(contentType);
        var filename = row.Filename ?? $"{type}-{messageId:N}";
        if (!filename.EndsWith(extension, StringComparison.OrdinalIgnoreCase)
            && !(extension == ".jpg" && filename.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase)))
            filename += extension;
        var result = channel.Kind == ChannelKinds.WeChat
            ? await weChat.UploadAsync(channel, content, contentType, filename, type == "audio" ? "voice" : type, ct)
            : await whatsApp.UploadAsync(channel, content, contentType, filename, ct);
        // A success without a media id sends nothing: it is retried like a provider hiccup, never taken as sent.
        if (result is ProviderResult.Sent { ProviderMessageId: null })
            return new ProviderResult.Transient(null, "the provider answered the upload without a media id");
        if (result is ProviderResult.Sent { ProviderMessageId: { } mediaId })
            await Sql.ExecAsync(conn, null, """
                update message_media set provider_media_id = @id, uploaded_at = @now, updated_at = @now
                 where message_id = @m
                """, ct, ("id", mediaId), ("now", clock.GetUtcNow()), ("m", messageId));
        return result;
    }
}
