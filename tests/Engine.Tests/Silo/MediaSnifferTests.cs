using Engine.Silo.Media;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Silo;

/// <summary>An uploaded file's type comes from its bytes, and an image's size from its header.</summary>
public sealed class MediaSnifferTests
{
    [Fact]
    public void A_png_is_measured_from_its_header()
    {
        var png = TestImages.Png(1024, 768);
        Assert.Equal(new MediaSniffer.Sniffed("image/png", 1024, 768), MediaSniffer.Sniff(png, "application/pdf", "x.pdf"));
    }

    [Fact]
    public void A_jpeg_is_measured_from_its_frame_header_after_other_segments()
    {
        byte[] jpeg =
        [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, .. "JFIF\0"u8, 1, 1, 0, 0, 1, 0, 1, 0, 0,   // APP0, 16 bytes
            0xFF, 0xC4, 0x00, 0x04, 0x00, 0x00,                                              // DHT (not a frame)
            0xFF, 0xC0, 0x00, 0x11, 0x08, 0x02, 0x58, 0x03, 0x20, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
            0xFF, 0xD9,
        ];
        Assert.Equal(new MediaSniffer.Sniffed("image/jpeg", 800, 600), MediaSniffer.Sniff(jpeg, null, null));
    }

    [Theory]
    [InlineData("%PDF-1.7\n", null, null, "application/pdf")]
    [InlineData("GIF89a\x10\0\x20\0", null, null, "image/gif")]
    [InlineData("OggS\0\x02", null, null, "audio/ogg")]
    [InlineData("#!AMR\n", null, null, "audio/amr")]
    [InlineData("ID3\x04\0", null, null, "audio/mpeg")]
    [InlineData("\0\0\0\u0018ftypmp42", null, null, "video/mp4")]
    [InlineData("\0\0\0\u0018ftyp3gp4", null, null, "video/3gpp")]
    [InlineData("\0\0\0\u0018ftypM4A ", null, null, "audio/mp4")]
    [InlineData("Order 4411: two parcels", "text/plain", null, "text/plain")]
    [InlineData("Order 4411", null, "notes.txt", "text/plain")]
    [InlineData("PK\x03\x04 rest of a zip", null, "quote.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    public void Signatures_name_the_type(string bytes, string? declared, string? name, string expected) =>
        Assert.Equal(expected, MediaSniffer.Sniff(Latin1(bytes), declared, name)?.ContentType);

    [Theory]
    [InlineData("MZ\x90\0 a Windows program", "application/pdf", "invoice.pdf")]   // a program named like a PDF
    [InlineData("PK\x03\x04 a zip", "application/zip", "archive.zip")]                 // a zip that is no Office file
    [InlineData("<svg onload=alert(1)>", "image/svg+xml", "x.svg")]
    [InlineData("text\0with a NUL", "text/plain", "x.txt")]
    public void Anything_else_is_no_type_the_engine_sends(string bytes, string? declared, string? name) =>
        Assert.Null(MediaSniffer.Sniff(Latin1(bytes), declared, name));

    private static byte[] Latin1(string s) => System.Text.Encoding.Latin1.GetBytes(s);
}
