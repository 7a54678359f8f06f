using Engine.Grains.Interfaces.Runtime;
using Engine.Grains.Messaging;
using Engine.Silo.Channels;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Media;

/// <summary>An uploaded file, ready to send: <see cref="Type"/> is the message type it goes as on the conversation's
/// channel; <see cref="Warnings"/> what the provider recommends otherwise (an image's size).</summary>
public sealed record AttachmentView(Guid Id, Guid ConversationId, string Type, string ContentType, string? Filename,
    long Size, int? Width, int? Height, IReadOnlyList<string> Warnings, DateTimeOffset CreatedAt);

/// <summary>
/// Files agents and integrators upload to send in a conversation: identified from their bytes
/// (<see cref="MediaSniffer"/>), checked against what the conversation's channel can send and the business's size limit,
/// kept in the <see cref="IMediaStore"/>. Sending one (<c>media.attachmentId</c>) uploads it to the provider as part of
/// the durable send.
/// </summary>
public sealed class Attachments(NpgsqlDataSource db, IMediaStore store, ChannelStore channels, TimeProvider clock)
{
    public async Task<AttachmentView> AddAsync(Guid business, Guid conversation, byte[] content, string? declaredType,
        string? filename, string uploadedBy, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var target = (await Sql.QueryAsync(conn, null, """
            select v.channel_id, b.media_max_bytes from conversations v join businesses b on b.id = v.business_id
             where v.id = @v and v.business_id = @b
            """, r => (Channel: r.GetGuid(0), Max: r.GetInt64(1)), ct, ("v", conversation), ("b", business))).Single();
        var channel = await channels.FindCachedAsync(target.Channel, ct)
            ?? throw new InvalidOperationException($"Channel {target.Channel} is gone.");
        var name = CleanName(filename);
        var sniffed = MediaSniffer.Sniff(content, declaredType, name);
        var allowed = sniffed is null ? null : MediaLimits.ForContentType(channel.Kind, sniffed.ContentType);
        var provider = channel.Kind == ChannelKinds.WeChat ? "WeChat" : "WhatsApp";
        if (sniffed is null || allowed is null)
            throw new RefusedException("unsupported_media_type", sniffed is null
                ? "The file is none of the types a channel can send (JPEG, PNG, MP4, 3GPP, AAC, AMR, MP3, OGG, PDF, text, "
                  + "Word, Excel, PowerPoint)."
                : $"{provider} cannot send {sniffed.ContentType} (it takes "
                  + $"{string.Join(", ", MediaLimits.Of(channel.Kind).SelectMany(a => a.ContentTypes).Order())}).");
        var max = Math.Min(allowed.MaxBytes, target.Max);
        if (content.LongLength > max)
            throw new RefusedException("attachment_too_large", allowed.MaxBytes <= target.Max
                ? $"{provider} limits {allowed.Type} files to {MediaLimits.Readable(allowed.MaxBytes)}; this one is "
                  + $"{MediaLimits.Readable(content.LongLength)}."
                : $"The business keeps attachments up to {MediaLimits.Readable(target.Max)}; this one is "
                  + $"{MediaLimits.Readable(content.LongLength)}.");
        if (allowed.Type == "document" && name is null)
            name = $"document{MediaSniffer.ExtensionOf(sniffed.ContentType)}";
        var sha256 = await store.PutAsync(content, ct);
        var id = Guid.CreateVersion7();
        var now = clock.GetUtcNow();
        await Sql.ExecAsync(conn, null, """
            insert into attachments (id, business_id, conversation_id, sha256, content_type, filename, size, width, height,
                                     uploaded_by, created_at)
            values (@id, @b, @v, @s, @t, @f, @n, @w, @h, @by, @now)
            """, ct, ("id", id), ("b", business), ("v", conversation), ("s", sha256), ("t", sniffed.ContentType),
            ("f", name), ("n", content.LongLength), ("w", sniffed.Width), ("h", sniffed.Height), ("by", uploadedBy),
            ("now", now));
        return new AttachmentView(id, conversation, allowed.Type, sniffed.ContentType, name, content.LongLength,
            sniffed.Width, sniffed.Height, Warnings(allowed.Type, sniffed.Width, sniffed.Height), now);
    }

    public async Task<AttachmentView?> FindAsync(Guid business, Guid conversation, Guid id, string channelKind,
        CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, """
            select content_type, filename, size, width, height, created_at from attachments
             where id = @id and business_id = @b and conversation_id = @v
            """, r =>
            {
                var type = MediaLimits.ForContentType(channelKind, r.GetString(0))?.Type ?? "document";
                int? w = r.IsDBNull(3) ? null : r.GetInt32(3), h = r.IsDBNull(4) ? null : r.GetInt32(4);
                return new AttachmentView(id, conversation, type, r.GetString(0), r.NullableString(1), r.GetInt64(2), w, h,
                    Warnings(type, w, h), r.Time(5));
            }, ct, ("id", id), ("b", business), ("v", conversation))).SingleOrDefault();
    }

    private static IReadOnlyList<string> Warnings(string type, int? width, int? height) =>
        type == "image" && OutboundRules.ImageWarning(width, height) is { } warning ? [warning] : [];

    /// <summary>The file name without any directory part or control characters; null when nothing is left.</summary>
    private static string? CleanName(string? filename)
    {
        if (filename is null) return null;
        var name = new string(Path.GetFileName(filename.Replace('\\', '/')).Where(c => !char.IsControl(c)).ToArray()).Trim();
        return name.Length == 0 ? null : name.Length > 240 ? name[^240..] : name;
    }
}
