using System.Text.RegularExpressions;

namespace Engine.Grains.Automation;

/// <summary>
/// The regular expressions of routing and auto-label rules. A match is bounded in time: one that runs out counts as no
/// match (a delivery never fails on a rule), and the caller records it so the rule is flagged. A pattern is checked on
/// save: it must compile and answer every probe within the bound.
/// </summary>
public static class RulePattern
{
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);

    /// <summary>Inputs that make a backtracking pattern (nested or overlapping quantifiers) blow up.</summary>
    private static readonly string[] Probes =
    [
        new string('a', 4000) + "!",
        string.Concat(Enumerable.Repeat("ab", 2000)) + "!",
        new string('1', 4000) + "x",
        string.Concat(Enumerable.Repeat("a ", 2000)) + "\n!",
        string.Concat(Enumerable.Repeat("x@x.", 1000)) + "@",
    ];

    public enum Outcome { NoMatch, Match, TimedOut }

    public static Outcome Test(string pattern, string text)
    {
        try { return Regex.IsMatch(text, pattern, RegexOptions.None, MatchTimeout) ? Outcome.Match : Outcome.NoMatch; }
        catch (RegexMatchTimeoutException) { return Outcome.TimedOut; }
    }

    /// <summary>Null when the pattern compiles and answers every probe in time; otherwise why not.</summary>
    public static string? Problem(string pattern)
    {
        if (pattern.Length > 500) return "At most 500 characters.";
        try { _ = new Regex(pattern, RegexOptions.None, MatchTimeout); }
        catch (ArgumentException e) { return $"Not a valid regular expression: {e.Message}"; }
        // Long runs of the pattern's own letters, ended by a character it does not expect, catch the rest.
        var own = pattern.Where(char.IsLetterOrDigit).Distinct().Take(8).Select(c => new string(c, 3000) + "\u0001");
        return Probes.Concat(own).Any(p => Test(pattern, p) == Outcome.TimedOut)
            ? $"Too slow: matching takes longer than {MatchTimeout.TotalMilliseconds:0} ms on long inputs (nested or overlapping repetition such as (a+)+)."
            : null;
    }
}

/// <summary>Rules whose pattern ran out of time while matching one ingest group's messages, to be flagged in the same
/// commit.</summary>
public sealed class RuleTimeouts
{
    private readonly HashSet<Guid> _routing = [];
    private readonly HashSet<Guid> _labels = [];

    public IReadOnlyCollection<Guid> Routing => _routing;
    public IReadOnlyCollection<Guid> Labels => _labels;

    public void Routed(Guid rule) { lock (_routing) _routing.Add(rule); }
    public void Labelled(Guid rule) { lock (_labels) _labels.Add(rule); }
}
