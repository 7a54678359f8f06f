namespace Engine.Grains.Contacts;

/// <summary>
/// The language a customer writes in, guessed from their text when nobody has said: by script for the scripts one
/// language dominates (Thai, Devanagari → Hindi, Hangul, Japanese kana, Chinese characters without kana, Arabic,
/// Hebrew, Greek, Cyrillic → Russian), and for Latin script by the everyday words of the languages a support team
/// meets most (English, Spanish, Portuguese, French, German, Indonesian, Vietnamese by its letters). Null when the text
/// is too short or nothing stands out: an unknown language routes like no language, a wrong one would misroute.
/// </summary>
public static class LanguageGuess
{
    private const int MinLetters = 3;

    private static readonly (string Language, Func<char, bool> InScript)[] Scripts =
    [
        ("th", c => c is >= '\u0E00' and <= '\u0E7F'),
        ("hi", c => c is >= '\u0900' and <= '\u097F'),
        ("ko", c => c is >= '\uAC00' and <= '\uD7AF' or >= '\u1100' and <= '\u11FF' or >= '\u3130' and <= '\u318F'),
        ("ja", c => c is >= '\u3040' and <= '\u30FF'),
        ("zh", c => c is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF'),
        ("ar", c => c is >= '\u0600' and <= '\u06FF'),
        ("he", c => c is >= '\u0590' and <= '\u05FF'),
        ("el", c => c is >= '\u0370' and <= '\u03FF'),
        ("ru", c => c is >= '\u0400' and <= '\u04FF'),
    ];

    private static readonly Dictionary<string, string[]> LatinWords = new()
    {
        ["en"] = ["the", "is", "my", "you", "and", "where", "what", "please", "hello", "thanks", "order", "have", "not",
            "it", "to", "i"],
        ["es"] = ["el", "la", "que", "de", "y", "mi", "por", "favor", "hola", "gracias", "pedido", "dónde", "donde", "está",
            "no", "es"],
        ["pt"] = ["o", "a", "que", "de", "e", "meu", "minha", "por", "favor", "olá", "ola", "obrigado", "obrigada", "pedido",
            "não", "nao", "cadê", "onde", "está", "você"],
        ["fr"] = ["le", "la", "les", "de", "et", "mon", "ma", "est", "bonjour", "merci", "commande", "où", "je", "pas",
            "vous", "svp"],
        ["de"] = ["der", "die", "das", "und", "ist", "mein", "meine", "ich", "nicht", "hallo", "danke", "bitte",
            "bestellung", "wo"],
        ["id"] = ["saya", "yang", "dan", "tidak", "ini", "itu", "apa", "mana", "terima", "kasih", "pesanan", "tolong",
            "sudah", "belum", "di"],
    };

    private const string VietnameseLetters = "ơưđăạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ";

    private static readonly char[] WordBreaks = [' ', ',', '.', '!', '?', ';', ':', '\n', '\t', '"', '(', ')', '¿', '¡'];

    public static string? Guess(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        // One pass: letters, and how many are in each script of its own.
        var inScript = new int[Scripts.Length];
        int letters = 0, vietnamese = 0;
        foreach (var c in text)
        {
            if (!char.IsLetter(c)) continue;
            letters++;
            if (VietnameseLetters.Contains(char.ToLowerInvariant(c))) vietnamese++;
            for (var i = 0; i < Scripts.Length; i++)
                if (Scripts[i].InScript(c)) { inScript[i]++; break; }
        }
        if (letters < MinLetters) return null;

        // The script most of the letters are in (kana wins over the Chinese characters Japanese uses).
        int Of(string language) => inScript[Array.FindIndex(Scripts, s => s.Language == language)];
        if (Of("ja") > 0 && Of("ja") + Of("zh") >= letters / 2) return "ja";
        var top = Enumerable.Range(0, Scripts.Length).Where(i => Scripts[i].Language != "ja").MaxBy(i => inScript[i]);
        if (inScript[top] * 2 >= letters) return Scripts[top].Language;

        if (vietnamese > 0) return "vi";
        var words = text.ToLowerInvariant().Split(WordBreaks, StringSplitOptions.RemoveEmptyEntries);
        var scores = LatinWords.Select(l => (l.Key, Score: words.Count(w => l.Value.Contains(w))))
            .OrderByDescending(x => x.Score).ToList();
        // Two words at least, and more than any other language: "no" alone says nothing.
        return scores[0].Score >= 2 && scores[0].Score > scores[1].Score ? scores[0].Key : null;
    }
}
