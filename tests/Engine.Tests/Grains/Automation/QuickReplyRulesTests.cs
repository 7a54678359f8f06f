using Engine.Grains.QuickReplies;

namespace Engine.Tests.Grains.Automation;

public class QuickReplyRulesTests
{
    private static readonly QuickReplyVersion[] Versions =
    [
        new("standard", "en", "Your refund for order {order_no} was issued on {date}, {name}."),
        new("standard", "th", "คืนเงินคำสั่งซื้อ {order_no} แล้ว"),
        new("standard", null, "Refund {order_no} issued."),
        new("refusal", "en", "Sorry {name}, order {order_no} is outside the return period."),
    ];

    [Theory]
    [InlineData("standard", "th", "คืนเงินคำสั่งซื้อ {order_no} แล้ว")]
    [InlineData("standard", "th-TH", "คืนเงินคำสั่งซื้อ {order_no} แล้ว")]        // a regional tag finds its language
    [InlineData("standard", "en", "Your refund for order {order_no} was issued on {date}, {name}.")]
    [InlineData("standard", "de", "Refund {order_no} issued.")]                       // no German: the language-neutral version
    [InlineData("standard", null, "Refund {order_no} issued.")]
    [InlineData("refusal", "th", "Sorry {name}, order {order_no} is outside the return period.")]  // only English: the fallback
    public void The_contacts_language_picks_the_version(string scenario, string? language, string expected) =>
        Assert.Equal(expected, QuickReplyRules.Pick(Versions, scenario, language)!.Text);

    [Fact]
    public void An_unknown_scenario_has_no_version() => Assert.Null(QuickReplyRules.Pick(Versions, "express", "en"));

    [Fact]
    public void Variables_are_filled_and_unknown_ones_left_as_written()
    {
        var text = QuickReplyRules.Render(Versions[0], new Dictionary<string, string?> { ["order_no"] = "4411", ["date"] = "2026-03-02", ["name"] = "Ana" });
        Assert.Equal("Your refund for order 4411 was issued on 2026-03-02, Ana.", text);
        Assert.Equal("Refund {order_no} issued.", QuickReplyRules.Render(Versions[2], new Dictionary<string, string?>()));
    }
}
