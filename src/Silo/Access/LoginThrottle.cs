using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Access;

/// <summary>
/// Failed log-ins per account, in PostgreSQL so every node counts them together. After <see cref="FreeFailures"/>
/// failures in a row the account is blocked for 30 s, doubling with each further failure up to 15 minutes; a success
/// clears the count. Unknown emails are counted exactly like known ones, so the answers tell nothing about which exist.
/// </summary>
public sealed class LoginThrottle(NpgsqlDataSource db, TimeProvider clock)
{
    public const int FreeFailures = 5;
    public static readonly TimeSpan FirstBlock = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan LongestBlock = TimeSpan.FromMinutes(15);

    /// <summary>When the account may try again, if it is blocked now.</summary>
    public async Task<DateTimeOffset?> BlockedUntilAsync(string account, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var until = await Sql.QueryAsync(conn, null, "select blocked_until from login_failures where account = @a",
            r => r.NullableTime(0), ct, ("a", Key(account)));
        return until.Count == 1 && until[0] > clock.GetUtcNow() ? until[0] : null;
    }

    /// <summary>Counts a failure; returns when the account may try again if this failure blocks it.</summary>
    public async Task<DateTimeOffset?> FailedAsync(string account, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        var failures = (await Sql.QueryAsync(conn, null, """
            insert into login_failures as f (account, failures, last_failed_at) values (@a, 1, @now)
            on conflict (account) do update set failures = f.failures + 1, last_failed_at = @now
            returning failures
            """, r => r.GetInt32(0), ct, ("a", Key(account)), ("now", now)))[0];
        if (failures < FreeFailures) return null;
        var until = now + Block(failures);
        await Sql.ExecAsync(conn, null, "update login_failures set blocked_until = @u where account = @a", ct,
            ("u", until), ("a", Key(account)));
        return until;
    }

    public async Task SucceededAsync(string account, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await Sql.ExecAsync(conn, null, "delete from login_failures where account = @a", ct, ("a", Key(account)));
    }

    /// <summary>30 s at the fifth failure in a row, doubling with each one after, at most 15 minutes.</summary>
    public static TimeSpan Block(int failures) =>
        TimeSpan.FromTicks(Math.Min(LongestBlock.Ticks, FirstBlock.Ticks << Math.Min(failures - FreeFailures, 10)));

    private static string Key(string account) => account.Trim().ToLowerInvariant();
}
