using Engine.Grains.Interfaces.Messaging;
using Engine.Grains.Messaging;

namespace Engine.Tests.Grains.Messaging;

public class OutboundRulesTests
{
    private static IReadOnlyDictionary<string, string[]> Errors(OutboundMessage m, string kind = "whatsapp") => OutboundRules.Validate(m, kind).Errors;

    private static ReplyButton B(string title, string? id = null) => new(id ?? title.ToLowerInvariant(), title);

    public static TheoryData<string, OutboundMessage, string> Invalid => new()
    {
        { "unknown type", new("fax"), "type" },
        { "empty text", new("text", Text: " "), "text" },
        { "text over 4096", new("text", Text: new string('a', 4097)), "text" },
        { "no buttons", new("buttons", Text: "Pick", Buttons: []), "buttons" },
        { "four buttons", new("buttons", Text: "Pick", Buttons: [B("A"), B("B"), B("C"), B("D")]), "buttons" },
        { "title over 20", new("buttons", Text: "Pick", Buttons: [B("Talk to a human agent now")]), "buttons[0].title" },
        { "duplicate titles", new("buttons", Text: "Pick", Buttons: [B("Yes", "1"), B("yes", "2")]), "buttons" },
        { "button body over 1024", new("buttons", Text: new string('a', 1025), Buttons: [B("Ok")]), "text" },
        { "footer over 60", new("buttons", Text: "Pick", Footer: new string('f', 61), Buttons: [B("Ok")]), "footer" },
        { "media without source", new("image", Media: new(null, null, null, null, null, null, null)), "media" },
        { "media with both sources", new("image", Media: new("https://x/y.jpg", "123", null, null, null, null, null)), "media" },
        { "media url not http", new("document", Media: new("ftp://x/y.pdf", null, null, null, null, null, null)), "media.url" },
        { "video over 16 MB", new("video", Media: new("https://x/v.mp4", null, null, null, 16L * 1024 * 1024 + 1, null, null)), "media.sizeBytes" },
        { "image over WhatsApp's 5 MB", new("image", Media: new(null, null, null, null, 5L * 1024 * 1024 + 1, null, null,
            Guid.NewGuid(), "image/png")), "media.sizeBytes" },
        { "a GIF on WhatsApp", new("image", Media: new(null, null, null, null, 10, null, null, Guid.NewGuid(), "image/gif")),
            "media.contentType" },
        { "a PDF sent as an image", new("image", Media: new(null, null, null, null, 10, null, null, Guid.NewGuid(),
            "application/pdf")), "media.contentType" },
        { "attachment and url", new("image", Media: new("https://x/y.jpg", null, null, null, null, null, null, Guid.NewGuid())),
            "media" },
        { "list without rows", new("list", Text: "Choose", List: new("Options", [new("S", [])])), "list.sections" },
        { "list row title over 24", new("list", Text: "Choose", List: new("Options", [new("S", [new("r1", new string('t', 25), null)])])), "list.rows[0].title" },
        { "eleven rows", new("list", Text: "Choose", List: new("Options", [new("S", Enumerable.Range(0, 11).Select(i => new ListRow($"r{i}", $"Row {i}", null)).ToList())])), "list.sections" },
        { "template without name", new("template", Template: new("", "en_US", null)), "template.name" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Broken_rules_are_named(string why, OutboundMessage message, string field)
    {
        var errors = Errors(message);
        Assert.True(errors.ContainsKey(field), $"{why}: expected an error on {field}, got {string.Join(", ", errors.Keys)}");
    }

    [Fact]
    public void Too_long_text_says_by_how_much()
    {
        var error = Errors(new("text", Text: new string('a', 4100)))["text"].Single();
        Assert.Contains("4 too many", error);
    }

    [Fact]
    public void Valid_messages_pass()
    {
        Assert.Empty(Errors(new("text", Text: new string('a', 4096))));
        Assert.Empty(Errors(new("buttons", Text: "How can we help?", Buttons: [B("Buy now"), B("Check stock"), B("Talk to an agent")])));
        Assert.Empty(Errors(new("video", Media: new("https://x/v.mp4", null, "clip", null, 16L * 1024 * 1024, null, null))));
        Assert.Empty(Errors(new("template", Template: new("order_update", "en_US", ["4411"]))));
    }

    [Theory]
    [InlineData(800, 600, false)]
    [InlineData(1024, 768, true)]
    public void Images_off_the_recommended_800x600_are_a_warning_not_a_refusal(int w, int h, bool warns)
    {
        var result = OutboundRules.Validate(new("image", Media: new("https://x/p.jpg", null, null, null, null, w, h)), "whatsapp");
        Assert.True(result.IsValid);
        Assert.Equal(warns, result.Warnings.Any(x => x.StartsWith("image_dimensions")));
    }

    [Theory]
    [InlineData("template")]
    [InlineData("list")]
    [InlineData("document")]
    public void WeChat_refuses_what_its_api_cannot_send(string type)
    {
        var m = new OutboundMessage(type, Text: "x", Template: new("t", "zh_CN", null), List: new("Options", [new("S", [new("r", "R", null)])]),
            Media: new(null, "media1", null, null, null, null, null));
        Assert.True(Errors(m, "wechat").ContainsKey("type"));
    }

    [Theory]
    [InlineData("whatsapp", "document", "application/pdf", 100L * 1024 * 1024, true)]
    [InlineData("whatsapp", "audio", "audio/ogg", 16L * 1024 * 1024 + 1, false)]
    [InlineData("wechat", "image", "image/gif", 10L * 1024 * 1024, true)]
    [InlineData("wechat", "audio", "audio/mpeg", 2L * 1024 * 1024 + 1, false)]
    [InlineData("wechat", "audio", "audio/ogg", 10, false)]
    [InlineData("wechat", "video", "video/mp4", 10L * 1024 * 1024 + 1, false)]
    public void Attachments_keep_to_each_channels_documented_types_and_sizes(string kind, string type, string contentType,
        long size, bool valid) =>
        Assert.Equal(valid, OutboundRules.Validate(new(type, Media: new(null, null, null, null, size, null, null,
            Guid.NewGuid(), contentType)), kind).IsValid);

    [Fact]
    public void WeChat_media_goes_by_media_id() =>
        Assert.True(Errors(new("image", Media: new("https://x/p.jpg", null, null, null, null, null, null)), "wechat").ContainsKey("media.url"));
}
