using System.Text.RegularExpressions;

namespace Engine.Grains.Automation;

public static class Triggers
{
    public const string FirstContact = "first_contact", Keyword = "keyword", Offline = "offline";
    public static readonly string[] All = [FirstContact, Keyword, Offline];
}

public sealed record BotButton(string Id, string Title);

/// <summary>An auto-reply rule: a trigger, keywords (for keyword rules), an optional local-time window, up to 5 reply variants and 3 buttons.</summary>
public sealed record AutoReplyRule(
    Guid Id, string Name, string Trigger, IReadOnlyList<string> Keywords, string? Language, TimeOnly? ActiveFrom, TimeOnly? ActiveTo,
    IReadOnlyList<string> Variants, IReadOnlyList<BotButton> Buttons, int Priority, bool Enabled);

/// <summary>
/// The limits of an automated reply: at most 256 characters (longer is refused, with how much over), up to
/// 5 variants and 3 buttons of at most 20 characters; a warning when a URL or code appears after character
/// 150, which is all a phone's preview shows.
/// </summary>
public static partial class AutoReplyRules
{
    public const int MaxLength = 256, PreviewLength = 150, MaxVariants = 5, MaxButtons = 3, MaxButtonTitle = 20;
    public const string TalkToAgentId = "talk_to_agent";
    public const string TalkToAgentTitle = "Talk to an agent";

    public static (Dictionary<string, string[]> Errors, List<string> Warnings) Validate(AutoReplyRule r)
    {
        var errors = new Dictionary<string, List<string>>();
        var warnings = new List<string>();
        void Error(string f, string m) => (errors.TryGetValue(f, out var l) ? l : errors[f] = []).Add(m);
        if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Length > 100) Error("name", "Required, at most 100 characters.");
        if (!Triggers.All.Contains(r.Trigger)) Error("trigger", $"One of {string.Join(", ", Triggers.All)}.");
        if (r.Trigger == Triggers.Keyword && (r.Keywords.Count == 0 || r.Keywords.Any(string.IsNullOrWhiteSpace))) Error("keywords", "A keyword rule needs keywords (words or phrases).");
        if (r.Keywords.Count > 50) Error("keywords", "At most 50 keywords per rule.");
        if ((r.ActiveFrom is null) != (r.ActiveTo is null)) Error("activeFrom", "Give both ends of the time window, or neither.");
        if (r.Variants.Count is < 1 or > MaxVariants) Error("variants", $"Between 1 and {MaxVariants} reply variants.");
        foreach (var (v, i) in r.Variants.Select((v, i) => (v, i)))
        {
            if (string.IsNullOrWhiteSpace(v)) Error($"variants[{i}]", "Empty.");
            else if (v.Length > MaxLength) Error($"variants[{i}]", $"At most {MaxLength} characters ({v.Length - MaxLength} too many).");
            else if (KeyContentAfterPreview(v) is { } late) warnings.Add($"variants[{i}]: '{late}' starts after character {PreviewLength}; a phone's preview will not show it.");
        }
        if (r.Buttons.Count > MaxButtons) Error("buttons", $"At most {MaxButtons} buttons.");
        foreach (var (b, i) in r.Buttons.Select((b, i) => (b, i)))
        {
            if (string.IsNullOrWhiteSpace(b.Title) || b.Title.Length > MaxButtonTitle) Error($"buttons[{i}].title", $"1 to {MaxButtonTitle} characters.");
            if (string.IsNullOrWhiteSpace(b.Id) || b.Id.Length > 256) Error($"buttons[{i}].id", "1 to 256 characters.");
        }
        return (errors.ToDictionary(e => e.Key, e => e.Value.ToArray()), warnings);
    }

    /// <summary>A URL or a code (e.g. a discount code) that begins beyond the preview.</summary>
    public static string? KeyContentAfterPreview(string text)
    {
        foreach (Match m in KeyContent().Matches(text))
            if (m.Index >= PreviewLength) return m.Value;
        return null;
    }

    [GeneratedRegex(@"https?://\S+|www\.\S+|\b(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9-]{4,}\b")]
    private static partial Regex KeyContent();

    /// <summary>Fills {name} and any other known variable; unknown ones stay as written.</summary>
    public static string Fill(string text, IReadOnlyDictionary<string, string?> values) =>
        Variable().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var v) && v is not null ? v : m.Value);

    [GeneratedRegex(@"\{([a-z_]+)\}")]
    private static partial Regex Variable();
}
