using Engine.Grains.Deadlines;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Deadlines;
using Engine.Silo.Database;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Engine.Silo.Runtime;

/// <summary>Fires one kind of entity's deadlines inside the firing transaction.</summary>
public interface ITimerHandler
{
    string EntityType { get; }
    Task FireAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid entityId, string kind, DateTimeOffset now,
        CancellationToken ct);
}

/// <summary>
/// The deadlines' durable record: the <c>timers</c> rows that a decision writes in its own transaction (so a deadline
/// exists exactly when the decision that set it committed). Their owning grains read them and fire them here; a
/// firing deletes the row by generation and runs the entity's handler in one transaction, so it happens once.
/// </summary>
public sealed class DeadlineStore(
    NpgsqlDataSource db, Transactions runtime, TimeProvider clock, IEnumerable<ITimerHandler> handlers)
    : IDeadlineStore
{
    private readonly Dictionary<string, ITimerHandler> _handlers = handlers.ToDictionary(h => h.EntityType);

    public async Task<IReadOnlyList<Deadline>> LoadAsync(Guid entityId, IReadOnlyList<string> entityTypes,
        CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null,
            "select entity_type, kind, due_at, generation from timers where entity_id = @i and entity_type = any(@t)",
            r => new Deadline(r.GetString(0), r.GetString(1), r.Time(2), r.GetInt64(3)),
            ct, ("i", entityId), ("t", entityTypes.ToArray()));
    }

    public Task<bool> FireAsync(Guid entityId, Deadline deadline, CancellationToken ct) =>
        runtime.CallAsync((conn, tx, ct2) => FireInAsync(conn, tx, entityId, deadline, ct2), ct);

    private async Task<bool> FireInAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid entityId, Deadline deadline,
        CancellationToken ct)
    {
        var deleted = await Sql.ExecAsync(conn, tx,
            "delete from timers where entity_type = @t and entity_id = @i and kind = @k and generation = @g",
            ct, ("t", deadline.EntityType), ("i", entityId), ("k", deadline.Kind), ("g", deadline.Generation));
        if (deleted == 0) return false;
        if (!_handlers.TryGetValue(deadline.EntityType, out var handler))
            throw new InvalidOperationException($"No deadline handler for entity type '{deadline.EntityType}'.");
        await handler.FireAsync(conn, tx, entityId, deadline.Kind, clock.GetUtcNow(), ct);
        return true;
    }
}

/// <summary>Which grain owns a deadline row: a business's daily check, otherwise the conversation it belongs
/// to.</summary>
public static class DeadlineOwners
{
    public const string WakeChannel = "engine_deadlines";

    /// <summary>Wake-up payload entries: "b:{id}" for a business, "c:{id}" for a conversation.</summary>
    public static string Token(string entityType, Guid entityId, string kind) =>
        (entityType == ConversationGrain.AlertEntityType && kind == Alerts.AlertWatch.Daily ? "b:" : "c:")
        + entityId.ToString("N");

    public static IDeadlineOwnerGrain FromToken(IGrainFactory grains, string token) => token[0] == 'b'
        ? grains.GetGrain<IBusinessGrain>(GrainKeys.Business(Guid.ParseExact(token[2..], "N")))
        : grains.GetGrain<IConversationGrain>(GrainKeys.Conversation(Guid.ParseExact(token[2..], "N")));

    /// <summary>
    /// Adds wake-ups to a transaction: <c>pg_notify</c> is delivered only if the transaction commits, so a grain is
    /// woken exactly for deadlines that exist. Each payload names the committing node (the connection's
    /// application name), whose listener alone wakes the grains, so a deadline is woken once however many silos
    /// listen. A wake-up is never the record: the rows are, and a sweep catches any wake-up lost to a crash.
    /// </summary>
    public static void AppendWake(NpgsqlBatch batch, IEnumerable<string> tokens)
    {
        foreach (var chunk in tokens.Distinct().Chunk(200))   // pg_notify payloads stay under 8,000 bytes
        {
            var cmd = new NpgsqlBatchCommand("select pg_notify(@c, current_setting('application_name') || '|' || @p)");
            cmd.Parameters.Add(new NpgsqlParameter("c", WakeChannel));
            cmd.Parameters.Add(new NpgsqlParameter("p", string.Join(',', chunk)));
            batch.BatchCommands.Add(cmd);
        }
    }
}

/// <summary>
/// Fires everything overdue through the owning grains: the safety net for a wake-up lost between a commit and a
/// crash, and for far deadlines of grains that were collected. Silos run it once a minute; tests and the test-only
/// clock endpoint run it right after moving the fake clock.
/// </summary>
public sealed class DeadlineSweep(
    NpgsqlDataSource db, TimeProvider clock, IGrainFactory grains, ILogger<DeadlineSweep> log)
{
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var owners = await Sql.QueryAsync(conn, null,
            "select distinct entity_type, entity_id, kind from timers where due_at <= @now",
            r => DeadlineOwners.Token(r.GetString(0), r.GetGuid(1), r.GetString(2)), ct, ("now", clock.GetUtcNow()));
        var fired = 0;
        foreach (var chunk in owners.Distinct().Chunk(32))
            fired += (await Task.WhenAll(chunk.Select(FireAsync))).Sum();
        return fired;
    }

    /// <summary>One owner's failure (its silo just died, the database blinked) leaves it for the next sweep, not the
    /// others.</summary>
    private async Task<int> FireAsync(string token)
    {
        try { return await DeadlineOwners.FromToken(grains, token).FireDue(); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(e, "Firing the deadlines of {Owner} failed; the next sweep tries again.", token);
            return 0;
        }
    }
}
