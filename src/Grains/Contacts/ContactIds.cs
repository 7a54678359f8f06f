using System.Security.Cryptography;
using System.Text;

namespace Engine.Grains.Contacts;

/// <summary>
/// A new customer identity's id follows from its channel and external id (a name-based UUID, RFC 9562 version 5), so a
/// webhook knows which customer grain a message belongs to before the database has the contact: every node routes the
/// identity to the same grain, and the contact row is created with that id. Identities stored before ids were derived
/// keep theirs; their grain finds them once on activation.
/// </summary>
public static class ContactIds
{
    private static readonly Guid Namespace = new("0d3c6f2e-6a51-4f5e-9a43-2b7f3e1c8a90");

    public static Guid For(Guid channelId, string externalId)
    {
        var name = Encoding.UTF8.GetBytes(externalId);
        var input = new byte[32 + name.Length];
        Namespace.TryWriteBytes(input.AsSpan(0, 16), bigEndian: true, out _);
        channelId.TryWriteBytes(input.AsSpan(16, 16), bigEndian: true, out _);
        name.CopyTo(input, 32);
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(input, hash);   // the hash RFC 9562 names for version 5; an id, not a secret
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
