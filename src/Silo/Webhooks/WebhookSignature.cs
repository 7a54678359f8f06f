using System.Security.Cryptography;
using System.Text;

namespace Engine.Silo.Webhooks;

/// <summary>
/// Outbound webhook signatures. Headers: <c>X-Engine-Timestamp</c> (Unix seconds) and
/// <c>X-Engine-Signature: sha256=&lt;hex&gt;</c>, the HMAC-SHA256 under the subscription's secret of
/// <c>timestamp + "." + raw body</c>. A receiver recomputes it over the bytes it received, compares in
/// constant time, and rejects timestamps more than 5 minutes old (replays).
/// </summary>
public static class WebhookSignature
{
    public const string TimestampHeader = "X-Engine-Timestamp";
    public const string SignatureHeader = "X-Engine-Signature";
    public const string EventHeader = "X-Engine-Event";

    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }
}
