using System.Globalization;
using System.Text;

namespace Engine.Grains.Automation;

/// <summary>
/// Keyword matching that works across scripts. Case and Latin accents are ignored ("Réturn" = "return").
/// Where a script separates words (Latin, Cyrillic, Devanagari…), a keyword matches only as whole words,
/// so "return" does not match inside "returning"; Thai, Chinese, Japanese, Lao, Khmer and Myanmar write
/// without spaces, so there a keyword matches anywhere in the text.
/// </summary>
public static class KeywordMatcher
{
    public static string Normalize(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        char previousBase = '\0';
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            // Drop accents on Latin letters only: the marks of Thai or Devanagari are part of the word.
            if (category == UnicodeCategory.NonSpacingMark && previousBase < '\u0250') continue;
            if (category != UnicodeCategory.NonSpacingMark) previousBase = c;
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString().Normalize(NormalizationForm.FormC);
    }

    public static bool Matches(string text, string keyword) => MatchesNormalized(Normalize(text), Normalize(keyword).Trim());

    public static bool MatchesNormalized(string text, string keyword)
    {
        if (keyword.Length == 0) return false;
        if (keyword.Any(IsUnspacedScript)) return text.Contains(keyword, StringComparison.Ordinal);
        for (var i = text.IndexOf(keyword, StringComparison.Ordinal); i >= 0; i = text.IndexOf(keyword, i + 1, StringComparison.Ordinal))
        {
            var before = i == 0 || !IsWordChar(text[i - 1]);
            var end = i + keyword.Length;
            var after = end >= text.Length || !IsWordChar(text[end]);
            if (before && after) return true;
        }
        return false;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    private static bool IsUnspacedScript(char c) =>
        c is >= '\u0E00' and <= '\u0EFF'       // Thai, Lao
        or >= '\u1000' and <= '\u109F'         // Myanmar
        or >= '\u1780' and <= '\u17FF'         // Khmer
        or >= '\u3040' and <= '\u30FF'         // Hiragana, Katakana
        or >= '\u3400' and <= '\u9FFF'         // CJK
        or >= '\uF900' and <= '\uFAFF';
}
