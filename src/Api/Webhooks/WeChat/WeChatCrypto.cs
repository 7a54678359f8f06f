using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Engine.Api.Webhooks.WeChat;

/// <summary>
/// WeChat callback signatures and secure-mode encryption. Signatures are the SHA-1 of the
/// ordinal-sorted, concatenated values. Encryption is AES-256-CBC with the key from the 43-character
/// EncodingAESKey, IV = its first 16 bytes, PKCS#7 padding to 32-byte blocks, over
/// random(16) + length(4, big-endian) + message + appid.
/// </summary>
public static class WeChatCrypto
{
    public static string Signature(params string[] values)
    {
        var sorted = values.OrderBy(v => v, StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(sorted))));
    }

    public static bool SignatureMatches(string? given, params string[] values) =>
        given is not null && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Signature(values)), Encoding.ASCII.GetBytes(given.ToLowerInvariant()));

    public static byte[] Key(string encodingAesKey)
    {
        if (encodingAesKey.Length != 43) throw new CryptographicException("EncodingAESKey must be 43 characters.");
        return Convert.FromBase64String(encodingAesKey + "=");
    }

    /// <summary>The message inside <paramref name="encrypted"/>, or null when it does not decrypt under this key or names another app id.</summary>
    public static string? Decrypt(string encrypted, string encodingAesKey, string appId)
    {
        try
        {
            var key = Key(encodingAesKey);
            using var aes = Aes.Create();
            aes.Key = key;
            // Unpadded by hand: pads run 1..32, which the framework's PKCS7 (16-byte blocks) rejects.
            var plain = aes.DecryptCbc(Convert.FromBase64String(encrypted), key.AsSpan(0, 16), PaddingMode.None);
            int pad = plain[^1];
            if (pad < 1 || pad > 32 || pad > plain.Length) return null;
            var content = plain.AsSpan(0, plain.Length - pad);
            if (content.Length < 20) return null;
            var length = BinaryPrimitives.ReadInt32BigEndian(content.Slice(16, 4));
            if (length < 0 || 20 + length > content.Length) return null;
            var app = Encoding.UTF8.GetString(content[(20 + length)..]);
            return app == appId ? Encoding.UTF8.GetString(content.Slice(20, length)) : null;
        }
        catch (CryptographicException) { return null; }
        catch (FormatException) { return null; }
    }

    public static string Encrypt(string message, string encodingAesKey, string appId, byte[]? random16 = null)
    {
        var key = Key(encodingAesKey);
        var msg = Encoding.UTF8.GetBytes(message);
        var app = Encoding.UTF8.GetBytes(appId);
        var length = 16 + 4 + msg.Length + app.Length;
        var pad = 32 - length % 32;
        var plain = new byte[length + pad];
        (random16 ?? RandomNumberGenerator.GetBytes(16)).CopyTo(plain, 0);
        BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(16, 4), msg.Length);
        msg.CopyTo(plain, 20);
        app.CopyTo(plain, 20 + msg.Length);
        plain.AsSpan(length).Fill((byte)pad);
        using var aes = Aes.Create();
        aes.Key = key;
        return Convert.ToBase64String(aes.EncryptCbc(plain, key.AsSpan(0, 16), PaddingMode.None));
    }
}
