using System.Security.Cryptography;
using System.Text;
using Engine.Silo.Webhooks;

namespace Engine.Tests.Webhooks;

/// <summary>The README's verification example, checked: the vector there was computed with Python's hmac module.</summary>
public class OutboundWebhookSignatureTests
{
    private const string Secret = "whsec_example";
    private const long Timestamp = 1767225600;
    private const string Body = """{"id":"42","type":"message.received"}""";
    private const string Expected = "sha256=e9e16c33a022acc536f1a3947f4f41e764da0de455fe5f24704e6c8ec4468c45";

    [Fact]
    public void The_engine_signs_timestamp_dot_body_as_documented() =>
        Assert.Equal(Expected, WebhookSignature.Sign(Secret, Timestamp, Encoding.UTF8.GetBytes(Body)));

    /// <summary>The receiver code from the README, verbatim.</summary>
    private static bool Verify(string secret, string timestampHeader, string signatureHeader, byte[] body, DateTimeOffset now)
    {
        if (!long.TryParse(timestampHeader, out var ts) || Math.Abs(now.ToUnixTimeSeconds() - ts) > 300) return false;
        var signed = Encoding.UTF8.GetBytes(ts + ".").Concat(body).ToArray();
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        var given = signatureHeader.StartsWith("sha256=") ? Convert.FromHexString(signatureHeader[7..]) : [];
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    [Fact]
    public void The_documented_receiver_accepts_the_example_and_refuses_tampering_and_replays()
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(Timestamp).AddSeconds(20);
        Assert.True(Verify(Secret, "1767225600", Expected, Encoding.UTF8.GetBytes(Body), at));
        Assert.False(Verify(Secret, "1767225600", Expected, Encoding.UTF8.GetBytes(Body.Replace("42", "43")), at));
        Assert.False(Verify(Secret, "1767225601", Expected, Encoding.UTF8.GetBytes(Body), at));
        Assert.False(Verify(Secret, "1767225600", Expected, Encoding.UTF8.GetBytes(Body), at.AddMinutes(6)));
        Assert.False(Verify("another-secret", "1767225600", Expected, Encoding.UTF8.GetBytes(Body), at));
    }
}
