using Engine.Grains.Automation;

namespace Engine.Grains.QuickReplies;

/// <summary>One wording of a quick reply: for a scenario (standard, express, refusal…) and a language (null: any).</summary>
public sealed record QuickReplyVersion(string Scenario, string? Language, string Text);

/// <summary>
/// Quick-reply templates: the version is chosen by scenario and the contact's language (falling back to the
/// scenario's language-neutral version, then English, then the first), and variables such as {order_no},
/// {date}, contact fields ({name}, {phone}, {email}) and agent fields ({agent_name}) are filled in.
/// </summary>
public static class QuickReplyRules
{
    public const decimal FlagTemplateBelow = 0.05m;   // a template used in under 5% of replies
    public const decimal FlagAgentBelow = 0.60m;      // an agent using templates in under 60% of their replies

    public static QuickReplyVersion? Pick(IReadOnlyList<QuickReplyVersion> versions, string scenario, string? language)
    {
        var forScenario = versions.Where(v => string.Equals(v.Scenario, scenario, StringComparison.OrdinalIgnoreCase)).ToList();
        if (forScenario.Count == 0) return null;
        string? Base(string? l) => l?.Split('-', '_')[0].ToLowerInvariant();
        return forScenario.FirstOrDefault(v => language is not null && string.Equals(v.Language, language, StringComparison.OrdinalIgnoreCase))
            ?? forScenario.FirstOrDefault(v => language is not null && v.Language is not null && Base(v.Language) == Base(language))
            ?? forScenario.FirstOrDefault(v => v.Language is null)
            ?? forScenario.FirstOrDefault(v => Base(v.Language) == "en")
            ?? forScenario[0];
    }

    public static string Render(QuickReplyVersion version, IReadOnlyDictionary<string, string?> values) => AutoReplyRules.Fill(version.Text, values);
}
