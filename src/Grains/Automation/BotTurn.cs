namespace Engine.Grains.Automation;

/// <summary>What the bot knows when a customer's message arrives.</summary>
public sealed record BotContext(
    string? Text, string? ButtonId, bool FirstContact, bool HumanInvolved, int AutomatedInLast24h,
    IReadOnlyList<AutoReplyRule> Rules, BusinessHours Hours, DateTimeOffset Now, string? ContactName, string? ContactLanguage,
    IReadOnlyList<string> HandOverKeywords);

/// <summary>A bot message; <see cref="Answers"/> when it answers the customer (a keyword rule, a flow) rather than
/// greeting them or telling them the hours (a welcome, an offline notice), which leaves them waiting for a person.</summary>
public sealed record BotReply(Guid RuleId, string RuleName, string Text, IReadOnlyList<BotButton> Buttons, bool Answers = true);

/// <summary>The bot's decision: a reply, a hand-over to people, or nothing. <see cref="Why"/> explains it (for the dry run).</summary>
public sealed record BotDecision(BotReply? Reply, bool HandOver, string Why);

/// <summary>
/// The bot turn. At most 3 automated messages per customer in any 24 hours (across all rules); past that
/// a human takes over. Asking for an agent (the button or a hand-over keyword) hands over at once. Rules
/// apply by priority; first contact, offline hours and keywords are the triggers; a rule with a time
/// window applies only inside it. From the second automated reply on, a "Talk to an agent" button is added
/// when the reply has room for it.
/// </summary>
public static class BotTurn
{
    public const int MaxAutomatedPer24h = 3;
    public static readonly string[] DefaultHandOverKeywords = ["talk to an agent", "agent", "human", "real person", "人工", "客服", "เจ้าหน้าที่", "एजेंट"];

    public static BotDecision Decide(BotContext c, Random random)
    {
        if (c.HumanInvolved) return new(null, false, "a person is handling this conversation");
        if (c.ButtonId == AutoReplyRules.TalkToAgentId || (c.Text is { } t && c.HandOverKeywords.Any(k => KeywordMatcher.Matches(t, k))))
            return new(null, true, "the customer asked for an agent");
        var offline = !c.Hours.IsOpen(c.Now);
        var localTime = TimeOnly.FromDateTime(c.Hours.Local(c.Now));
        var rule = c.Rules
            .Where(r => r.Enabled && InWindow(r, localTime) && (r.Language is null || c.ContactLanguage is null || r.Language == c.ContactLanguage))
            .Where(r => r.Trigger switch
            {
                Triggers.FirstContact => c.FirstContact,
                Triggers.Offline => offline,
                Triggers.Keyword => c.Text is { } text && r.Keywords.Any(k => KeywordMatcher.Matches(text, k)),
                _ => false,
            })
            .OrderByDescending(r => r.Priority).ThenBy(r => Array.IndexOf(Triggers.All, r.Trigger)).ThenBy(r => r.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        if (rule is null) return new(null, false, "no rule matches");
        if (c.AutomatedInLast24h >= MaxAutomatedPer24h)
            return new(null, true, $"the customer already had {MaxAutomatedPer24h} automated messages in 24 hours");

        var next = c.Hours.NextOpening(c.Now);
        var text = AutoReplyRules.Fill(rule.Variants[random.Next(rule.Variants.Count)], new Dictionary<string, string?>
        {
            ["name"] = c.ContactName, ["hours"] = c.Hours.Describe(), ["next_open"] = next?.ToString("ddd HH:mm"),
        });
        if (text.Length > AutoReplyRules.MaxLength) text = text[..AutoReplyRules.MaxLength];
        var buttons = rule.Buttons.ToList();
        if (c.AutomatedInLast24h >= 1 && buttons.Count < AutoReplyRules.MaxButtons && buttons.All(b => b.Id != AutoReplyRules.TalkToAgentId))
            buttons.Add(new BotButton(AutoReplyRules.TalkToAgentId, AutoReplyRules.TalkToAgentTitle));
        return new(new BotReply(rule.Id, rule.Name, text, buttons, rule.Trigger == Triggers.Keyword), false,
            $"rule '{rule.Name}' ({rule.Trigger})");
    }

    private static bool InWindow(AutoReplyRule r, TimeOnly t) => r is not { ActiveFrom: { } from, ActiveTo: { } to }
        || (to > from ? t >= from && t < to : t >= from || t < to);
}
