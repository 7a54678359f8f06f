using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;

namespace Engine.Silo.Media;

/// <summary>Where attachments' bytes are kept, addressed by their SHA-256 (the same content is kept once).</summary>
public interface IMediaStore
{
    /// <summary>Keeps <paramref name="content"/>; returns its SHA-256 (lower-case hex), the name it is read back by.</summary>
    Task<string> PutAsync(byte[] content, CancellationToken ct);

    /// <summary>The content named <paramref name="sha256"/>, or null when it is not kept.</summary>
    Stream? Open(string sha256);

    /// <summary>Forgets the content (nothing when it is not kept).</summary>
    void Delete(string sha256);
}

/// <summary>
/// The default store: a directory (<c>Engine:Media:Path</c>; a volume shared by every node), one file per content under
/// two levels of its hash's first characters. Written to a temporary name and moved into place, so a reader never sees a
/// partial file and two nodes writing the same content both succeed.
/// </summary>
public sealed class DirectoryMediaStore : IMediaStore
{
    public const string PathKey = "Engine:Media:Path";

    private readonly string _root;

    public DirectoryMediaStore(IConfiguration config)
    {
        _root = Path.GetFullPath(config[PathKey] is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "media"));
        Directory.CreateDirectory(_root);
    }

    public string Root => _root;

    public async Task<string> PutAsync(byte[] content, CancellationToken ct)
    {
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        var path = PathOf(sha256);
        if (File.Exists(path)) return sha256;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temporary, content, ct);
        File.Move(temporary, path, overwrite: true);
        return sha256;
    }

    public Stream? Open(string sha256) =>
        IsName(sha256) && File.Exists(PathOf(sha256)) ? File.OpenRead(PathOf(sha256)) : null;

    public void Delete(string sha256)
    {
        if (IsName(sha256)) File.Delete(PathOf(sha256));
    }

    private static bool IsName(string sha256) => sha256.Length == 64 && sha256.All(char.IsAsciiHexDigitLower);

    private string PathOf(string sha256) => Path.Combine(_root, sha256[..2], sha256[2..4], sha256);
}
