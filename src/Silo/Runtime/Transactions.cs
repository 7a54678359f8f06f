using Npgsql;

namespace Engine.Silo.Runtime;

/// <summary>A fenced write found a newer version: another call got there first; the call is retried.</summary>
public sealed class VersionConflictException(string entity) : Exception($"{entity} was changed by another call; retrying.");

/// <summary>
/// The transaction of a grain's turn: decide in pure C# on the state read in it, write back fenced by version, commit.
/// No row is locked for the decision: the owning grain runs one turn at a time, so a fence fails only when something
/// else wrote first (a duplicate activation while membership changes, or one of the few writes still made from
/// another grain's transaction); that and the other transient conflicts (deadlock, serialization, a racing insert)
/// run the whole transaction again, the decision recomputed from fresh state.
/// </summary>
public sealed class Transactions(NpgsqlDataSource db)
{
    private const int MaxAttempts = 6;

    public async Task<T> CallAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> call, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(ct);
                await using var tx = await conn.BeginTransactionAsync(ct);
                if (EngineTracing.CurrentParent() is { } trace)   // the outbox rows it writes continue this trace
                    await Database.Sql.ExecAsync(conn, tx, "select set_config('engine.trace_parent', @t, true)", ct, ("t", trace));
                var result = await call(conn, tx, ct);
                await tx.CommitAsync(ct);
                return result;
            }
            catch (Exception e) when (IsTransient(e) && attempt < MaxAttempts)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * attempt), ct);
            }
        }
    }

    public Task CallAsync(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> call, CancellationToken ct) =>
        CallAsync<bool>(async (c, t, k) => { await call(c, t, k); return true; }, ct);

    public static bool IsTransient(Exception e) => e switch
    {
        VersionConflictException => true,
        PostgresException p => p.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
            or PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.LockNotAvailable,
        NpgsqlException { IsTransient: true } => true,
        _ => false,
    };
}
