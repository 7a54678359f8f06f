using CsCheck;
using Engine.Grains.Automation;

namespace Engine.Tests.Grains.Automation;

public class KeywordMatcherTests
{
    [Theory]
    [InlineData("How much is the SHIPPING FEE?", "shipping fee", true)]
    [InlineData("Réturn please", "return", true)]                 // accents ignored
    [InlineData("I am returning next week", "return", false)]    // no match inside a longer word
    [InlineData("discounted?", "discount", false)]
    [InlineData("ค่าจัดส่งเท่าไหร่คะ", "ค่าจัดส่ง", true)]            // Thai: no spaces between words
    [InlineData("请问运费多少", "运费", true)]                       // Chinese
    [InlineData("मुझे वापसी चाहिए", "वापसी", true)]                   // Hindi
    [InlineData("वापसीकरण", "वापसी", false)]                        // Hindi has word boundaries
    [InlineData("size M or L?", "size", true)]
    public void Keywords_match_across_scripts(string text, string keyword, bool matches) =>
        Assert.Equal(matches, KeywordMatcher.Matches(text, keyword));
}

public class BusinessHoursTests
{
    private static BusinessHours Hours(string tz, params (DayOfWeek Day, string From, string To)[] intervals) => new(tz,
        intervals.GroupBy(i => i.Day).ToDictionary(g => g.Key, g => (IReadOnlyList<OpeningInterval>)g.Select(i => new OpeningInterval(TimeOnly.Parse(i.From), TimeOnly.Parse(i.To))).ToList()),
        new HashSet<DateOnly>());

    [Fact]
    public void Default_offline_is_22_to_08_in_the_business_time_zone()
    {
        var hours = BusinessHours.Default("Asia/Bangkok"); // UTC+7
        Assert.False(hours.IsOpen(DateTimeOffset.Parse("2026-03-02T00:59:00Z")));  // 07:59 local
        Assert.True(hours.IsOpen(DateTimeOffset.Parse("2026-03-02T01:00:00Z")));   // 08:00
        Assert.True(hours.IsOpen(DateTimeOffset.Parse("2026-03-02T14:59:00Z")));   // 21:59
        Assert.False(hours.IsOpen(DateTimeOffset.Parse("2026-03-02T15:00:00Z")));  // 22:00
        Assert.False(hours.IsOpen(DateTimeOffset.Parse("2026-03-02T16:30:00Z")));  // 23:30 local, 16:30 UTC
    }

    [Fact]
    public void Split_days_intervals_past_midnight_and_holidays()
    {
        var hours = Hours("UTC", (DayOfWeek.Monday, "09:00", "12:00"), (DayOfWeek.Monday, "13:00", "18:00"), (DayOfWeek.Friday, "20:00", "02:00"));
        var monday = new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
        Assert.True(hours.IsOpen(monday.AddHours(11)));
        Assert.False(hours.IsOpen(monday.AddHours(12.5)));     // lunch break
        Assert.True(hours.IsOpen(monday.AddHours(13)));
        var friday = monday.AddDays(4);
        Assert.True(hours.IsOpen(friday.AddHours(23)));
        Assert.True(hours.IsOpen(friday.AddDays(1).AddHours(1.5)));   // Saturday 01:30, still Friday's shift
        Assert.False(hours.IsOpen(friday.AddDays(1).AddHours(2)));
        Assert.Equal(monday.AddDays(7).AddHours(9).DateTime, hours.NextOpening(friday.AddDays(1).AddHours(3)));
        var holiday = hours with { Holidays = new HashSet<DateOnly> { DateOnly.FromDateTime(monday.DateTime) } };
        Assert.False(holiday.IsOpen(monday.AddHours(11)));
    }

    [Fact]
    public void Open_time_counts_only_business_hours_and_skips_holidays()
    {
        var hours = BusinessHours.Default("Asia/Bangkok"); // UTC+7, open 08:00–22:00
        var nine = DateTimeOffset.Parse("2026-03-02T14:00:00Z");   // 21:00 local
        Assert.Equal(TimeSpan.FromHours(2), hours.OpenTimeBetween(nine, nine.AddHours(12)));   // 21–22 and 08–09
        Assert.Equal(TimeSpan.Zero, hours.OpenTimeBetween(nine.AddHours(1.5), nine.AddHours(10.5)));
        // Five business minutes from 21:58 run out at 08:03 the next morning.
        Assert.Equal(DateTimeOffset.Parse("2026-03-03T01:03:00Z"), hours.AfterOpenTime(nine.AddMinutes(58), TimeSpan.FromMinutes(5)));
        Assert.Equal(DateTimeOffset.Parse("2026-03-03T01:00:00Z"), hours.NextOpeningUtc(nine.AddHours(2)));
        var holiday = hours with { Holidays = new HashSet<DateOnly> { new(2026, 3, 3) } };
        Assert.Equal(DateTimeOffset.Parse("2026-03-04T01:03:00Z"), holiday.AfterOpenTime(nine.AddMinutes(58), TimeSpan.FromMinutes(5)));
        // A calendar that never opens counts wall time rather than never being due.
        var never = hours with { Week = new Dictionary<DayOfWeek, IReadOnlyList<OpeningInterval>>() };
        Assert.Equal(nine.AddMinutes(5), never.AfterOpenTime(nine, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void Open_time_agrees_with_is_open_and_after_open_time_inverts_it()
    {
        // Split days, a shift past midnight, across Berlin's daylight-saving changes.
        var hours = Hours("Europe/Berlin", (DayOfWeek.Monday, "09:00", "12:00"), (DayOfWeek.Monday, "13:00", "18:00"),
            (DayOfWeek.Friday, "20:00", "02:00"), (DayOfWeek.Sunday, "01:00", "04:00"));
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Gen.Select(Gen.Int[0, 365 * 24 * 60], Gen.Int[0, 5 * 24 * 60]).Sample((minute, length) =>
        {
            var at = start.AddMinutes(minute);
            Assert.Equal(hours.IsOpen(at) ? TimeSpan.FromMinutes(1) : TimeSpan.Zero, hours.OpenTimeBetween(at, at.AddMinutes(1)));
            var due = hours.AfterOpenTime(at, TimeSpan.FromMinutes(length));
            Assert.Equal(TimeSpan.FromMinutes(length), hours.OpenTimeBetween(at, due));
        });
    }
}

public class BotTurnTests
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    private static AutoReplyRule Rule(string name, string trigger, string[]? keywords = null, int priority = 0, string[]? variants = null,
        (string, string)? window = null, BotButton[]? buttons = null) =>
        new(Guid.NewGuid(), name, trigger, keywords ?? [], null, window is { } w ? TimeOnly.Parse(w.Item1) : null, window is { } w2 ? TimeOnly.Parse(w2.Item2) : null,
            variants ?? [$"{name} reply"], buttons ?? [], priority, true);

    private static BotDecision Decide(string? text, int automated = 0, bool first = false, DateTimeOffset? at = null, string? button = null, params AutoReplyRule[] rules) =>
        BotTurn.Decide(new BotContext(text, button, first, false, automated, rules, BusinessHours.Default("UTC"), at ?? Noon, "Ana", null, BotTurn.DefaultHandOverKeywords), new Random(1));

    [Fact]
    public void First_contact_keyword_and_offline_triggers_by_priority()
    {
        var welcome = Rule("welcome", Triggers.FirstContact, priority: 1);
        var shipping = Rule("shipping", Triggers.Keyword, ["shipping fee"], priority: 5);
        var offline = Rule("offline", Triggers.Offline, priority: 9);
        Assert.Equal("shipping", Decide("what is the shipping fee", first: true, rules: [welcome, shipping, offline]).Reply!.RuleName);
        Assert.Equal("welcome", Decide("hello", first: true, rules: [welcome, shipping, offline]).Reply!.RuleName);
        Assert.Equal("offline", Decide("shipping fee?", at: Noon.AddHours(11), rules: [welcome, shipping, offline]).Reply!.RuleName);
        Assert.Null(Decide("hello", rules: [welcome, shipping]).Reply);
    }

    [Fact]
    public void A_time_segmented_rule_applies_only_inside_its_window()
    {
        var lunch = Rule("lunch", Triggers.Keyword, ["menu"], window: ("11:30", "13:00"));
        Assert.NotNull(Decide("menu", at: Noon, rules: [lunch]).Reply);
        Assert.Null(Decide("menu", at: Noon.AddHours(1), rules: [lunch]).Reply);
    }

    [Fact]
    public void Variants_are_picked_by_the_injected_random_source_and_variables_filled()
    {
        var rule = Rule("hi", Triggers.Keyword, ["hi"], variants: ["Hello {name}!", "Hi {name}, welcome back", "Hey {name}"]);
        var picks = Enumerable.Range(0, 30).Select(seed => BotTurn.Decide(new BotContext("hi", null, false, false, 0, [rule], BusinessHours.Default("UTC"), Noon,
            "Ana", null, []), new Random(seed)).Reply!.Text).ToList();
        Assert.Equal(3, picks.Distinct().Count());
        Assert.All(picks, p => Assert.Contains("Ana", p));
        Assert.Equal(picks, Enumerable.Range(0, 30).Select(seed => BotTurn.Decide(new BotContext("hi", null, false, false, 0, [rule], BusinessHours.Default("UTC"), Noon,
            "Ana", null, []), new Random(seed)).Reply!.Text));   // same seeds, same picks
    }

    [Fact]
    public void At_most_three_automated_messages_then_a_human_and_a_shortcut_from_the_second_on()
    {
        var rule = Rule("faq", Triggers.Keyword, ["return"], buttons: [new("policy", "Return policy")]);
        Assert.Single(Decide("return", automated: 0, rules: [rule]).Reply!.Buttons);
        var second = Decide("return", automated: 1, rules: [rule]).Reply!;
        Assert.Equal(["policy", AutoReplyRules.TalkToAgentId], second.Buttons.Select(b => b.Id));
        var full = Rule("full", Triggers.Keyword, ["return"], buttons: [new("a", "A"), new("b", "B"), new("c", "C")]);
        Assert.Equal(3, Decide("return", automated: 2, rules: [full]).Reply!.Buttons.Count);   // no room: no shortcut
        var capped = Decide("return", automated: 3, rules: [rule]);
        Assert.Null(capped.Reply);
        Assert.True(capped.HandOver);
    }

    [Fact]
    public void Asking_for_an_agent_hands_over_at_once()
    {
        var rule = Rule("faq", Triggers.Keyword, ["agent"]);
        Assert.True(Decide(null, button: AutoReplyRules.TalkToAgentId, rules: [rule]).HandOver);
        Assert.True(Decide("can I talk to an agent please", rules: [rule]).HandOver);
        Assert.True(Decide("我要人工客服", rules: [rule]).HandOver);
    }
}

public class AutoReplyValidationTests
{
    private static AutoReplyRule Rule(string[] variants, BotButton[]? buttons = null) =>
        new(Guid.NewGuid(), "r", Triggers.Keyword, ["x"], null, null, null, variants, buttons ?? [], 0, true);

    [Fact]
    public void Replies_over_256_characters_are_refused_saying_by_how_much()
    {
        var (errors, _) = AutoReplyRules.Validate(Rule([new string('a', 260)]));
        Assert.Contains("4 too many", errors["variants[0]"].Single());
        Assert.Empty(AutoReplyRules.Validate(Rule([new string('a', 256)])).Errors);
    }

    [Fact]
    public void More_than_5_variants_or_3_buttons_or_long_titles_are_refused()
    {
        Assert.True(AutoReplyRules.Validate(Rule(["1", "2", "3", "4", "5", "6"])).Errors.ContainsKey("variants"));
        Assert.True(AutoReplyRules.Validate(Rule(["x"], [new("a", "A"), new("b", "B"), new("c", "C"), new("d", "D")])).Errors.ContainsKey("buttons"));
        Assert.True(AutoReplyRules.Validate(Rule(["x"], [new("a", "Talk to a human agent now")])).Errors.ContainsKey("buttons[0].title"));
    }

    [Fact]
    public void A_url_or_code_after_character_150_is_a_warning()
    {
        var late = new string('a', 160) + " https://shop.example.com/sale";
        var early = "Use code SAVE20 today " + new string('a', 150);
        Assert.Contains(AutoReplyRules.Validate(Rule([late])).Warnings, w => w.Contains("https://shop.example.com/sale"));
        Assert.Contains(AutoReplyRules.Validate(Rule([new string('a', 155) + " code SAVE20"])).Warnings, w => w.Contains("SAVE20"));
        Assert.Empty(AutoReplyRules.Validate(Rule([early])).Warnings);
    }
}
