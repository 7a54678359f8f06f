namespace Engine.Grains.Contacts;

/// <summary>
/// Phone numbers to E.164 (<c>+&lt;country&gt;&lt;number&gt;</c>), with the known cases where one person
/// arrives in two forms: Brazilian mobiles with and without the ninth digit (WhatsApp's wa_id often
/// lacks it), and Mexican mobiles with the old "1" after the country code.
/// </summary>
public static class PhoneNumbers
{
    /// <param name="raw">As typed or as a provider sends it (wa_id has the country code and no '+').</param>
    /// <param name="defaultCallingCode">For national numbers (a leading trunk '0', or ≤ 10 digits without '+'), e.g. "66".</param>
    public static string? ToE164(string? raw, string? defaultCallingCode = null)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        var trimmed = raw.Trim();
        var digits = new string(trimmed.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length == 0) return null;
        var international = trimmed.StartsWith('+') || digits.StartsWith("00");
        if (digits.StartsWith("00")) digits = digits[2..];
        else if (!international && defaultCallingCode is not null && (digits.StartsWith('0') || digits.Length <= 10))
            digits = defaultCallingCode + digits.TrimStart('0');
        if (digits.Length is < 8 or > 15) return null;
        return "+" + Canonical(digits);
    }

    private static string Canonical(string d)
    {
        // Brazil: 55 + area (2) + 8-digit mobile starting 6–9 → the mobile's ninth digit was left out.
        if (d.StartsWith("55") && d.Length == 12 && d[4] is >= '6' and <= '9') return d[..4] + "9" + d[4..];
        // Mexico: 52 1 + 10 digits was the mobile form; today's numbers are 52 + 10 digits.
        if (d.StartsWith("521") && d.Length == 13) return "52" + d[3..];
        return d;
    }
}
