using System.Diagnostics;
using System.Text.Json;
using Engine.Silo.Database;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Engine.Silo.Runtime;

public sealed record OutboxItem(long Id, Guid BusinessId, string Topic, string? OrderingKey, string IdempotencyKey, JsonElement Payload, int Attempts)
{
    /// <summary>The trace that queued the row (W3C <c>traceparent</c>), when it was recorded.</summary>
    public string? TraceParent { get; init; }
}

/// <summary>What a handler made of one attempt.</summary>
public abstract record OutboxResult
{
    public sealed record Done : OutboxResult;
    public sealed record Retry(string Error, TimeSpan? After = null) : OutboxResult;
    public sealed record Failed(string Error) : OutboxResult;
    /// <summary>Not an attempt: a limit says wait (rate limits). The row keeps its place and its attempt count.</summary>
    public sealed record Defer(TimeSpan After, string Reason) : OutboxResult;
}

/// <summary>Performs the side effect of one outbox topic (provider send, CRM webhook…). It must pass the idempotency key on so a re-driven row is not done twice.</summary>
public interface IOutboxHandler
{
    string Topic { get; }
    Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct);

    /// <summary>Attempts before a retried row is given up; null when the handler keeps its own policy (webhooks: a day of failure pauses the subscription).</summary>
    int? MaxAttempts => OutboxDispatcher.MaxAttempts;
}

/// <summary>
/// Drives the outbox: every node claims due rows with <c>SKIP LOCKED</c> and a lease (only the
/// oldest pending row per ordering key, so per-key order holds), runs the topic's handler, and
/// records the outcome. A node that dies mid-attempt leaves its lease to expire; another node then
/// re-drives the row. Retries back off exponentially with jitter.
/// </summary>
public sealed class OutboxDispatcher(
    NpgsqlDataSource db, TimeProvider clock, NodeIdentity node, IEnumerable<IOutboxHandler> handlers, IOptions<EngineOptions> options)
{
    private readonly Dictionary<string, IOutboxHandler> _handlers = handlers.ToDictionary(h => h.Topic);
    public const int MaxAttempts = 30;

    public async Task<IReadOnlyList<OutboxItem>> ClaimAsync(int max, CancellationToken ct)
    {
        if (_handlers.Count == 0) return [];
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, """
            with due as (
                select o.id from outbox o
                 where o.status = 'pending' and o.due_at <= @now and o.topic = any(@topics)
                   and (o.lease_until is null or o.lease_until < @now)
                   and (o.ordering_key is null or not exists (
                        select 1 from outbox e where e.ordering_key = o.ordering_key and e.status = 'pending' and e.id < o.id))
                 order by o.due_at, o.id limit @max
                 for update of o skip locked)
            update outbox t set lease_owner = @node, lease_until = @until, attempts = t.attempts + 1, updated_at = @now
              from due where t.id = due.id
            returning t.id, t.business_id, t.topic, t.ordering_key, t.idempotency_key, t.payload::text, t.attempts,
                      t.trace_parent
            """, r => new OutboxItem(r.GetInt64(0), r.GetGuid(1), r.GetString(2), r.NullableString(3), r.GetString(4),
                JsonDocument.Parse(r.GetString(5)).RootElement.Clone(), r.GetInt32(6)) { TraceParent = r.NullableString(7) }, ct,
            ("now", now), ("topics", _handlers.Keys.ToArray()), ("max", max), ("node", node.Id), ("until", now + options.Value.OutboxLease));
    }

    public async Task<OutboxResult> DispatchAsync(OutboxItem item, CancellationToken ct)
    {
        OutboxResult result;
        var handler = _handlers[item.Topic];
        using var span = EngineTracing.Source.StartActivity($"outbox {item.Topic}", ActivityKind.Internal,
            EngineTracing.Parse(item.TraceParent));
        span?.SetTag("engine.outbox.id", item.Id).SetTag("engine.outbox.attempt", item.Attempts);
        try { result = await handler.HandleAsync(item, ct); }
        catch (Exception e) when (e is not OperationCanceledException) { result = new OutboxResult.Retry(e.Message); }
        span?.SetTag("engine.outbox.result", result.GetType().Name.ToLowerInvariant());
        if (result is OutboxResult.Retry or OutboxResult.Failed) span?.SetStatus(ActivityStatusCode.Error);
        if (result is OutboxResult.Retry retry && item.Attempts >= (handler.MaxAttempts ?? int.MaxValue)) result = new OutboxResult.Failed(retry.Error);

        var now = clock.GetUtcNow();
        var (status, error, due) = result switch
        {
            OutboxResult.Defer d => ("pending", d.Reason, now + d.After),
            OutboxResult.Done => ("done", (string?)null, now),
            OutboxResult.Failed f => ("failed", f.Error, now),
            OutboxResult.Retry r => ("pending", r.Error, now + (r.After ?? Backoff(item.Attempts))),
            _ => throw new InvalidOperationException(),
        };
        await using var conn = await db.OpenConnectionAsync(ct);
        // Only the lease holder records the outcome: a row re-claimed by another node after our lease ran out is theirs now.
        await Sql.ExecAsync(conn, null, """
            update outbox set status = @s, last_error = @e, due_at = @d, lease_owner = null, lease_until = null, updated_at = @now,
                   attempts = attempts - @deferred
             where id = @id and lease_owner = @node
            """, ct, ("s", status), ("e", error), ("d", due), ("now", now), ("id", item.Id), ("node", node.Id),
            ("deferred", result is OutboxResult.Defer ? 1 : 0));
        return result;
    }

    /// <summary>Exponential back-off with jitter: about 2^attempt seconds, capped at an hour.</summary>
    public static TimeSpan Backoff(int attempts)
    {
        var seconds = Math.Min(3600, Math.Pow(2, Math.Min(attempts, 12)));
        return TimeSpan.FromSeconds(seconds * (0.5 + Random.Shared.NextDouble()));
    }

    /// <summary>Claims up to 50 due rows and runs them, at most 8 at a time (each may hold a database connection).</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        var items = await ClaimAsync(50, ct);
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (item, token) => await DispatchAsync(item, token));
        return items.Count;
    }
}
