using System.Security.Cryptography;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Access;

public static class Roles
{
    public const string Administrator = "Administrator";
    public const string Editor = "Editor";
    public const string Agent = "Agent";
    public const string Analyst = "Analyst";
    public static readonly IReadOnlyList<string> All = [Administrator, Editor, Agent, Analyst];
}

/// <summary>
/// An API key. A key issued for a user follows that user: it acts with the user's current role and stops working when
/// the user is disabled. A key may expire.
/// </summary>
public sealed record ApiKeyInfo(Guid Id, Guid BusinessId, string Name, string Prefix, string Role, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? RevokedAt, Guid? UserId = null, DateTimeOffset? ExpiresAt = null);

/// <summary>Businesses (tenants) and their API keys. Keys are random 256-bit secrets, stored as SHA-256 hashes; the plain key is shown once.</summary>
public sealed class AccessStore(NpgsqlDataSource db, TimeProvider clock)
{
    /// <summary>The first business, created when the database is empty.</summary>
    public async Task<Guid> EnsureBusinessAsync(string name, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Sql.ExecAsync(conn, tx, "select pg_advisory_xact_lock(4242)", ct); // nodes starting together create one business
        var existing = await Sql.QueryAsync(conn, tx, "select id from businesses order by created_at, id limit 1", r => r.GetGuid(0), ct);
        var id = existing.Count > 0 ? existing[0] : Guid.CreateVersion7();
        if (existing.Count == 0)
        {
            var now = clock.GetUtcNow();
            await Sql.ExecAsync(conn, tx, "insert into businesses (id, name, created_at, updated_at) values (@id, @n, @now, @now)",
                ct, ("id", id), ("n", name), ("now", now));
        }
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>
    /// Makes <paramref name="key"/> the bootstrap key with <paramref name="role"/> (idempotent: the same key again
    /// changes
    /// nothing). A different bootstrap key configured earlier is revoked: rotating the setting rotates the key.
    /// </summary>
    public async Task EnsureBootstrapKeyAsync(Guid businessId, string name, string key, string role, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Sql.ExecAsync(conn, tx, "select pg_advisory_xact_lock(4243)", ct); // nodes starting together agree on one key
        await Sql.ExecAsync(conn, tx, """
            insert into api_keys (id, business_id, name, prefix, key_hash, role, bootstrap, created_at, updated_at)
            values (@id, @b, @n, @p, @h, @r, true, @now, @now)
            on conflict (key_hash) do nothing
            """, ct, ("id", Guid.CreateVersion7()), ("b", businessId), ("n", name), ("p", Prefix(key)), ("h", Hash(key)), ("r", role), ("now", now));
        await Sql.ExecAsync(conn, tx, """
            update api_keys set revoked_at = @now, updated_at = @now where bootstrap and key_hash <> @h and revoked_at is null
            """, ct, ("now", now), ("h", Hash(key)));
        await tx.CommitAsync(ct);
    }

    /// <summary>A new key; with <paramref name="userId"/> it acts as that user (their role, their assignments).</summary>
    public async Task<(ApiKeyInfo Info, string Key)> CreateKeyAsync(Actor actor, string name, string role, Guid? userId, CancellationToken ct,
        DateTimeOffset? expiresAt = null)
    {
        var key = "ek_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        var info = new ApiKeyInfo(Guid.CreateVersion7(), actor.BusinessId, name, Prefix(key), role, now, now, null, userId, expiresAt);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Sql.ExecAsync(conn, tx, """
            insert into api_keys (id, business_id, name, prefix, key_hash, role, user_id, expires_at, created_at, updated_at)
            values (@id, @b, @n, @p, @h, @r, @u, @e, @now, @now)
            """, ct, ("id", info.Id), ("b", actor.BusinessId), ("n", name), ("p", info.Prefix), ("h", Hash(key)), ("r", role), ("u", userId),
            ("e", expiresAt), ("now", now));
        await AuditLog.WriteAsync(conn, tx, actor, "api_key.created", "api_key", info.Id, null, info, now, ct);
        await tx.CommitAsync(ct);
        return (info, key);
    }

    /// <summary>A live key: not revoked, not expired, and (issued for a user) its user enabled; with that user's
    /// current role.</summary>
    public async Task<ApiKeyInfo?> FindActiveAsync(string key, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, """
            select k.id, k.business_id, k.name, k.prefix, coalesce(u.role, k.role), k.created_at, k.updated_at, k.revoked_at, k.user_id, k.expires_at
              from api_keys k left join users u on u.id = k.user_id
             where k.key_hash = @h and k.revoked_at is null and (k.expires_at is null or k.expires_at > @now)
               and (k.user_id is null or (u.id is not null and u.disabled_at is null))
            """, ReadKey, ct, ("h", Hash(key)), ("now", clock.GetUtcNow()))).SingleOrDefault();
    }

    public async Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(Guid businessId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, $"select {KeyColumns} from api_keys where business_id = @b order by created_at, id",
            ReadKey, ct, ("b", businessId));
    }

    public async Task<bool> RevokeKeyAsync(Actor actor, Guid id, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var revoked = await Sql.ExecAsync(conn, tx,
            "update api_keys set revoked_at = @now, updated_at = @now where id = @id and business_id = @b and revoked_at is null",
            ct, ("now", now), ("id", id), ("b", actor.BusinessId)) == 1;
        if (revoked) await AuditLog.WriteAsync(conn, tx, actor, "api_key.revoked", "api_key", id, null, null, now, ct);
        await tx.CommitAsync(ct);
        return revoked;
    }

    private const string KeyColumns = "id, business_id, name, prefix, role, created_at, updated_at, revoked_at, user_id, expires_at";

    private static ApiKeyInfo ReadKey(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetString(4), r.Time(5), r.Time(6), r.NullableTime(7), r.NullableGuid(8), r.NullableTime(9));

    private static byte[] Hash(string key) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key));
    private static string Prefix(string key) => key.Length <= 8 ? key[..Math.Min(3, key.Length)] : key[..8];
    private static string Base64Url(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
