using System.Security.Cryptography;
using System.Text;

namespace Engine.Api.Webhooks.WhatsApp;

/// <summary><c>X-Hub-Signature-256: sha256=&lt;hex&gt;</c> = HMAC-SHA256 of the raw body under the app secret, compared in constant time.</summary>
public static class WhatsAppSignature
{
    public const string Header = "X-Hub-Signature-256";

    public static bool IsValid(string? header, ReadOnlySpan<byte> body, string appSecret)
    {
        if (string.IsNullOrEmpty(header) || string.IsNullOrEmpty(appSecret)) return false;
        const string prefix = "sha256=";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return false;
        byte[] given;
        try { given = Convert.FromHexString(header.AsSpan(prefix.Length).Trim()); }
        catch (FormatException) { return false; }
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    public static string Sign(ReadOnlySpan<byte> body, string appSecret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body));
}
