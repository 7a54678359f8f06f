using System.Security.Cryptography;
using System.Text;

namespace Engine.Silo.Team;

/// <summary>PBKDF2 (SHA-256, 210,000 iterations, 16-byte salt) from the framework, stored as "pbkdf2-sha256$iterations$salt$hash".</summary>
public static class Passwords
{
    private const int Iterations = 210_000;

    /// <summary>Verified against when there is no account, so that a missing account takes as long as a wrong
    /// password.</summary>
    public static readonly string Decoy = Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)));

    /// <summary>The one password policy (users created through the API and the bootstrap administrator): null when it
    /// is met.</summary>
    public static string? Problem(string? password) =>
        password is null ? "Required."
        : password.Length < 10 ? "At least 10 characters."
        : password.Length > 200 ? "At most 200 characters."
        : null;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var iterations)) return false;
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(parts[2]), iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
