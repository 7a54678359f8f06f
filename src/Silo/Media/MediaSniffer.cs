using System.Buffers.Binary;
using System.Text;
using Engine.Grains.Messaging;

namespace Engine.Silo.Media;

/// <summary>
/// What an uploaded file is, read from its bytes rather than taken from its name: images (with their real width and
/// height), PDF, MP4/3GPP/M4A, Ogg, AMR, MP3 and AAC by their signatures. Office documents and plain text have no
/// signature of their own (Office files are ZIP or OLE containers), so for those the declared type or the file's
/// extension decides, but only when the container matches.
/// </summary>
public static class MediaSniffer
{
    public sealed record Sniffed(string ContentType, int? Width = null, int? Height = null);

    private static readonly Dictionary<string, string> Extensions = new(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = "text/plain", [".doc"] = "application/msword", [".xls"] = "application/vnd.ms-excel",
        [".ppt"] = "application/vnd.ms-powerpoint",
        [".docx"] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        [".xlsx"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        [".pptx"] = "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    };

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The file's type (null when it is none the engine can send).</summary>
    public static Sniffed? Sniff(ReadOnlySpan<byte> b, string? declaredType, string? filename)
    {
        if (b.StartsWith(PngSignature) && b.Length >= 24)
            return new("image/png", (int)BinaryPrimitives.ReadUInt32BigEndian(b[16..]), (int)BinaryPrimitives.ReadUInt32BigEndian(b[20..]));
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return Jpeg(b);
        if ((b.StartsWith("GIF87a"u8) || b.StartsWith("GIF89a"u8)) && b.Length >= 10)
            return new("image/gif", BinaryPrimitives.ReadUInt16LittleEndian(b[6..]), BinaryPrimitives.ReadUInt16LittleEndian(b[8..]));
        if (b.Length >= 12 && b.StartsWith("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8)) return new("image/webp");
        if (b.StartsWith("%PDF-"u8)) return new("application/pdf");
        if (b.Length >= 12 && b[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = Encoding.ASCII.GetString(b[8..12]);
            return new(brand.StartsWith("3g") ? "video/3gpp" : brand is "M4A " or "M4B " ? "audio/mp4" : "video/mp4");
        }
        if (b.StartsWith("OggS"u8)) return new("audio/ogg");
        if (b.StartsWith("#!AMR"u8)) return new("audio/amr");
        if (b.StartsWith("ID3"u8)) return new("audio/mpeg");
        if (b.Length >= 2 && b[0] == 0xFF && (b[1] & 0xF6) == 0xF0) return new("audio/aac");    // ADTS
        if (b.Length >= 2 && b[0] == 0xFF && (b[1] & 0xE0) == 0xE0) return new("audio/mpeg");   // an MPEG audio frame
        var named = Declared(declaredType, filename);
        if (b.StartsWith("PK\x03\x04"u8))
            return named is not null && named.Contains("openxmlformats") ? new(named) : null;
        if (b.Length >= 8 && b[..8].SequenceEqual(new byte[] { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 }))
            return named is "application/msword" or "application/vnd.ms-excel" or "application/vnd.ms-powerpoint"
                ? new(named) : null;
        return named == "text/plain" && IsText(b) ? new("text/plain") : null;
    }

    private static string? Declared(string? declaredType, string? filename)
    {
        var declared = declaredType?.Split(';')[0].Trim().ToLowerInvariant();
        if (declared is not null && MediaLimits.DocumentTypes.Contains(declared)) return declared;
        return filename is not null && Extensions.TryGetValue(Path.GetExtension(filename), out var byName) ? byName : null;
    }

    /// <summary>The usual file extension of a content type ("" when there is none worth giving).</summary>
    public static string ExtensionOf(string? contentType) =>
        contentType is null ? "" : Extensions.FirstOrDefault(e => e.Value == contentType).Key ?? contentType switch
        {
            "image/jpeg" => ".jpg", "image/png" => ".png", "image/gif" => ".gif", "image/webp" => ".webp",
            "audio/ogg" => ".ogg", "audio/mpeg" => ".mp3", "audio/amr" => ".amr", "audio/aac" => ".aac",
            "audio/mp4" => ".m4a", "video/mp4" => ".mp4", "video/3gpp" => ".3gp", "application/pdf" => ".pdf", _ => "",
        };

    /// <summary>UTF-8 without NUL bytes.</summary>
    private static bool IsText(ReadOnlySpan<byte> b) => !b.Contains((byte)0) && System.Text.Unicode.Utf8.IsValid(b);

    /// <summary>A JPEG's size is in its start-of-frame segment (SOF0–SOF15, not DHT, JPG or DAC).</summary>
    private static Sniffed Jpeg(ReadOnlySpan<byte> b)
    {
        var i = 2;
        while (i + 9 < b.Length)
        {
            if (b[i] != 0xFF) { i++; continue; }
            var marker = b[i + 1];
            if (marker is 0xFF) { i++; continue; }
            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7)) { i += 2; continue; }
            var length = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 2)..]);
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
                return new("image/jpeg", BinaryPrimitives.ReadUInt16BigEndian(b[(i + 7)..]),
                    BinaryPrimitives.ReadUInt16BigEndian(b[(i + 5)..]));
            if (marker is 0xDA) break;   // the image data starts: no frame header before it
            i += 2 + length;
        }
        return new("image/jpeg");
    }
}
