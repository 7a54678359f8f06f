using System.Security.Cryptography;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Webhooks;

public sealed record WebhookView(Guid Id, string Url, IReadOnlyList<string> Events, string? Description, bool Paused, string? PauseReason,
    DateTimeOffset? FailingSince, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, long Version);

public sealed record WebhookAttempt(long Id, long EventId, string EventType, int? StatusCode, string? Error, int DurationMs, bool Succeeded, DateTimeOffset At);

/// <summary>What deleting a subscription removed: it, and its deliveries still pending (cancelled).</summary>
public sealed record WebhookDeleted(Guid Id, string Url, int PendingCancelled);
public sealed record DeliveryView(long EventId, string EventType, string Status, int Attempts, string? LastError, DateTimeOffset UpdatedAt);

/// <summary>Subscriptions, their delivery log, resuming and replay.</summary>
public sealed class WebhookStore(NpgsqlDataSource db, TimeProvider clock, Access.SecretBox box)
{
    public static readonly string[] EventTypes =
    [
        "conversation.created", "conversation.assigned", "conversation.transferred", "conversation.resolved", "conversation.reopened",
        "message.received", "message.sent", "message.failed", "csat.submitted", "contact.created", "contact.changed", "contact.merged",
        "alert.raised", "alert.cleared",
    ];

    private const string Select = "select id, url, events, description, paused_at is not null, pause_reason, failing_since, created_at, updated_at, version from webhook_subscriptions";

    public async Task<(WebhookView View, string Secret)> CreateAsync(Actor actor, string url, IReadOnlyList<string> events, string? description, string? secret, CancellationToken ct)
    {
        secret ??= "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Sql.ExecAsync(conn, tx, """
            insert into webhook_subscriptions (id, business_id, url, secret, events, description, created_at, updated_at)
            values (@id, @b, @u, @s, @e, @d, @now, @now)
            """, ct, ("id", id), ("b", actor.BusinessId), ("u", url), ("s", box.Protect(secret)), ("e", events.Distinct().ToArray()), ("d", description), ("now", now));
        var view = (await GetAsync(conn, tx, actor.BusinessId, id, ct))!;
        await AuditLog.WriteAsync(conn, tx, actor, "webhook.created", "webhook", id, null, view, now, ct);
        await tx.CommitAsync(ct);
        return (view, secret);
    }

    /// <summary>Change url, events, description or secret; <paramref name="resume"/> lifts a pause (failed deliveries stay failed until replayed).</summary>
    public async Task<WebhookView?> UpdateAsync(Actor actor, Guid id, string? url, IReadOnlyList<string>? events, string? description, string? secret, bool resume, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = await GetAsync(conn, tx, actor.BusinessId, id, ct);
        if (before is null) return null;
        await Sql.ExecAsync(conn, tx, """
            update webhook_subscriptions set url = coalesce(@u, url), events = coalesce(@e, events), description = coalesce(@d, description),
                   secret = coalesce(@s, secret),
                   paused_at = case when @resume then null else paused_at end, pause_reason = case when @resume then null else pause_reason end,
                   failing_since = case when @resume then null else failing_since end, updated_at = @now, version = version + 1
             where id = @id
            """, ct, ("u", url), ("e", events?.Distinct().ToArray()), ("d", description), ("s", secret is null ? null : box.Protect(secret)), ("resume", resume), ("now", now), ("id", id));
        var after = (await GetAsync(conn, tx, actor.BusinessId, id, ct))!;
        await AuditLog.WriteAsync(conn, tx, actor, resume && before.Paused ? "webhook.resumed" : "webhook.updated", "webhook", id, before, after, now, ct);
        await tx.CommitAsync(ct);
        return after;
    }

    /// <summary>Deletes a subscription, cancelling its pending deliveries; returns what it removed, or null when there is
    /// no such one.</summary>
    public async Task<WebhookDeleted?> DeleteAsync(Actor actor, Guid id, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = await GetAsync(conn, tx, actor.BusinessId, id, ct);
        if (before is null) return null;
        var cancelled = await Sql.ExecAsync(conn, tx, "update outbox set status = 'failed', last_error = 'subscription deleted', updated_at = @now where topic = @t and status = 'pending' and payload->>'subscriptionId' = @id::text",
            ct, ("t", WebhookDelivery.Topic), ("id", id), ("now", now));
        await Sql.ExecAsync(conn, tx, "delete from webhook_attempts where subscription_id = @id", ct, ("id", id));
        await Sql.ExecAsync(conn, tx, "delete from webhook_subscriptions where id = @id", ct, ("id", id));
        var deleted = new WebhookDeleted(id, before.Url, cancelled);
        await AuditLog.WriteAsync(conn, tx, actor, "webhook.deleted", "webhook", id, before, deleted, now, ct);
        await tx.CommitAsync(ct);
        return deleted;
    }

    public async Task<IReadOnlyList<WebhookView>> ListAsync(Guid businessId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, Select + " where business_id = @b order by created_at", Read, ct, ("b", businessId));
    }

    public async Task<WebhookView?> GetAsync(Guid businessId, Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await GetAsync(conn, null, businessId, id, ct);
    }

    private static async Task<WebhookView?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid businessId, Guid id, CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx, Select + " where business_id = @b and id = @id", Read, ct, ("b", businessId), ("id", id))).SingleOrDefault();

    /// <summary>Every attempt, newest first, with the receiver's status code.</summary>
    public async Task<IReadOnlyList<WebhookAttempt>> AttemptsAsync(Guid id, int limit, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, """
            select id, event_id, event_type, status_code, error, duration_ms, succeeded, at from webhook_attempts
             where subscription_id = @id order by id desc limit @n
            """, r => new WebhookAttempt(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt32(3), r.NullableString(4),
                r.GetInt32(5), r.GetBoolean(6), r.Time(7)), ct, ("id", id), ("n", limit));
    }

    /// <summary>Each event's delivery to this subscription: pending, done or failed.</summary>
    public async Task<IReadOnlyList<DeliveryView>> DeliveriesAsync(Guid id, string? status, int limit, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, """
            select (o.payload->>'eventId')::bigint, webhook_event_type(e.type), o.status, o.attempts, o.last_error, o.updated_at
              from outbox o join entity_events e on e.id = (o.payload->>'eventId')::bigint
             where o.topic = @t and o.payload->>'subscriptionId' = @id::text and (@status::text is null or o.status = @status)
             order by o.id desc limit @n
            """, r => new DeliveryView(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.NullableString(4), r.Time(5)),
            ct, ("t", WebhookDelivery.Topic), ("id", id), ("status", status), ("n", limit));
    }

    /// <summary>Sends events again, in their original order: the given ones, or every failed one. Returns how many were queued.</summary>
    public async Task<int> ReplayAsync(Actor actor, Guid id, IReadOnlyList<long>? eventIds, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var events = eventIds is { Count: > 0 } ? eventIds.Distinct().Order().ToList()
            : await Sql.QueryAsync(conn, tx, """
                select distinct (payload->>'eventId')::bigint as e from outbox
                 where topic = @t and status = 'failed' and payload->>'subscriptionId' = @id::text order by e
                """, r => r.GetInt64(0), ct, ("t", WebhookDelivery.Topic), ("id", id));
        var queued = await Sql.ExecAsync(conn, tx, """
            insert into outbox (business_id, topic, ordering_key, idempotency_key, payload, due_at, created_at, updated_at)
            select e.business_id, @t, 'webhook:' || @id::text || ':' || e.entity_id, 'webhook:' || @id::text || ':' || e.id || ':replay:' || gen_random_uuid(),
                   jsonb_build_object('subscriptionId', @id::text, 'eventId', e.id), @now, @now, @now
              from entity_events e where e.id = any(@ids) and e.business_id = @b order by e.id
            """, ct, ("t", WebhookDelivery.Topic), ("id", id), ("ids", events.ToArray()), ("b", actor.BusinessId), ("now", now));
        // The failed rows are now superseded by the replays.
        if (eventIds is not { Count: > 0 })
            await Sql.ExecAsync(conn, tx, "update outbox set status = 'done', last_error = 'replayed', updated_at = @now where topic = @t and status = 'failed' and payload->>'subscriptionId' = @id::text",
                ct, ("t", WebhookDelivery.Topic), ("id", id), ("now", now));
        await AuditLog.WriteAsync(conn, tx, actor, "webhook.replayed", "webhook", id, null, new { events = events.Count }, now, ct);
        await tx.CommitAsync(ct);
        return queued;
    }

    private static WebhookView Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetFieldValue<string[]>(2), r.NullableString(3),
        r.GetBoolean(4), r.NullableString(5), r.NullableTime(6), r.Time(7), r.Time(8), r.GetInt64(9));
}
