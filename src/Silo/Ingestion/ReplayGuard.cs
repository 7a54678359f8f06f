using System.Security.Cryptography;
using Engine.Silo.Database;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Engine.Silo.Ingestion;

/// <summary>What a signed callback's timestamp and nonce say about it.</summary>
public enum ReplayVerdict
{
    /// <summary>A nonce not seen within the window: a new delivery.</summary>
    Fresh,
    /// <summary>The same nonce with the same body: the provider's retry (stored once by the message dedupe).</summary>
    Retry,
    /// <summary>The same nonce with another body: a replayed signature carrying a forged body.</summary>
    Replay,
    /// <summary>The timestamp is further from now than the accepted window.</summary>
    Stale,
}

/// <summary>
/// Replay protection for signatures that do not cover the body (WeChat's plain mode): a timestamp must be within
/// <see cref="EngineOptions.WeChatTimestampTolerance"/> of now, and a nonce is remembered (in PostgreSQL, so every node
/// sees it) until its timestamp leaves that window. A repeat with the same body is the provider's retry and passes;
/// a repeat with another body is refused.
/// </summary>
public sealed class ReplayGuard(NpgsqlDataSource db, TimeProvider clock, IOptions<EngineOptions> options)
{
    public TimeSpan Tolerance => options.Value.WeChatTimestampTolerance;

    public async Task<ReplayVerdict> CheckAsync(
        Guid channelId, string timestamp, string nonce, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (!long.TryParse(timestamp, out var seconds) || seconds is < 0 or > 253402300799) return ReplayVerdict.Stale;
        var at = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if ((now - at).Duration() > Tolerance) return ReplayVerdict.Stale;
        var hash = SHA256.HashData(body.Span);
        await using var conn = await db.OpenConnectionAsync(ct);
        // An expired row (not yet purged) is taken over: its nonce is outside the window and may be used again.
        var rows = await Sql.QueryAsync(conn, null, """
            insert into webhook_nonces as n (channel_id, nonce, body_hash, expires_at) values (@c, @n, @h, @e)
            on conflict (channel_id, nonce) do update
                set body_hash = excluded.body_hash, expires_at = excluded.expires_at
                where n.expires_at < @now
            returning true
            """, r => r.GetBoolean(0), ct,
            ("c", channelId), ("n", nonce), ("h", hash), ("e", at + Tolerance), ("now", now));
        if (rows.Count == 1) return ReplayVerdict.Fresh;
        var seen = await Sql.QueryAsync(conn, null,
            "select body_hash from webhook_nonces where channel_id = @c and nonce = @n",
            r => (byte[])r[0], ct, ("c", channelId), ("n", nonce));
        var sameBody = seen.Count == 1 && CryptographicOperations.FixedTimeEquals(seen[0], hash);
        return sameBody ? ReplayVerdict.Retry : ReplayVerdict.Replay;
    }

    /// <summary>A delivery that was not committed: its nonce is released so the provider's retry is accepted as
    /// new.</summary>
    public async Task ForgetAsync(Guid channelId, string nonce, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await Sql.ExecAsync(conn, null, "delete from webhook_nonces where channel_id = @c and nonce = @n", ct,
            ("c", channelId), ("n", nonce));
    }

    /// <summary>Drops nonces whose timestamps have left the window (run by the node's housekeeping).</summary>
    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.ExecAsync(conn, null, "delete from webhook_nonces where expires_at < @now", ct,
            ("now", clock.GetUtcNow()));
    }
}
