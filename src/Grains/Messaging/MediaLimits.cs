namespace Engine.Grains.Messaging;

/// <summary>
/// What each channel accepts as a message's file, as the providers document it. WhatsApp Cloud API: images JPEG/PNG
/// ≤ 5 MB, video MP4/3GPP ≤ 16 MB, audio AAC/AMR/MP3/MP4/OGG (Opus) ≤ 16 MB, documents (text, PDF, Word, Excel,
/// PowerPoint) ≤ 100 MB. WeChat temporary media: images PNG/JPEG/GIF ≤ 10 MB, voice AMR/MP3 ≤ 2 MB, video MP4 ≤ 10 MB;
/// its customer-service messages carry no documents.
/// </summary>
public static class MediaLimits
{
    public sealed record Allowed(string Type, IReadOnlySet<string> ContentTypes, long MaxBytes);

    private const long Mb = 1024 * 1024;

    public static readonly IReadOnlySet<string> DocumentTypes = new HashSet<string>
    {
        "text/plain", "application/pdf", "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    };

    private static readonly Allowed[] WhatsApp =
    [
        new("image", new HashSet<string> { "image/jpeg", "image/png" }, 5 * Mb),
        new("video", new HashSet<string> { "video/mp4", "video/3gpp" }, 16 * Mb),
        new("audio", new HashSet<string> { "audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg" }, 16 * Mb),
        new("document", DocumentTypes, 100 * Mb),
    ];

    private static readonly Allowed[] WeChat =
    [
        new("image", new HashSet<string> { "image/jpeg", "image/png", "image/gif" }, 10 * Mb),
        new("audio", new HashSet<string> { "audio/amr", "audio/mpeg" }, 2 * Mb),
        new("video", new HashSet<string> { "video/mp4" }, 10 * Mb),
    ];

    public static IReadOnlyList<Allowed> Of(string channelKind) => channelKind == "wechat" ? WeChat : WhatsApp;

    /// <summary>The message type a file of <paramref name="contentType"/> is sent as on the channel; null when the
    /// channel cannot send it.</summary>
    public static Allowed? ForContentType(string channelKind, string contentType) =>
        Of(channelKind).FirstOrDefault(a => a.ContentTypes.Contains(contentType));

    public static Allowed? ForType(string channelKind, string type) => Of(channelKind).FirstOrDefault(a => a.Type == type);

    /// <summary>"5 MB", "100 KB": a limit as people read it.</summary>
    public static string Readable(long bytes) => bytes >= Mb ? $"{bytes / (double)Mb:0.#} MB" : $"{bytes / 1024.0:0.#} KB";
}
