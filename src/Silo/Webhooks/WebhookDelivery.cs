using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Npgsql;

namespace Engine.Silo.Webhooks;

/// <summary>
/// Delivers one event to one subscription: a JSON body (event id, type, time, data) signed with the
/// subscription's secret, POSTed with a 10 s timeout. Any 2xx is delivered; anything else is retried with
/// exponential back-off and jitter. A subscription failing for a whole day is paused: its undelivered
/// events are marked failed (nothing is dropped: they can be replayed) and the administrators are told.
/// </summary>
public sealed class WebhookDelivery(NpgsqlDataSource db, IHttpClientFactory http, TimeProvider clock, Access.SecretBox box) : IOutboxHandler
{
    public const string Topic = "webhook.deliver";
    public static readonly TimeSpan PauseAfter = TimeSpan.FromHours(24);
    string IOutboxHandler.Topic => Topic;
    int? IOutboxHandler.MaxAttempts => null;

    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        var subscriptionId = item.Payload.GetProperty("subscriptionId").GetGuid();
        var eventId = item.Payload.GetProperty("eventId").GetInt64();
        await using var conn = await db.OpenConnectionAsync(ct);
        var sub = (await Sql.QueryAsync(conn, null, "select url, secret, paused_at, failing_since from webhook_subscriptions where id = @id",
            r => (Url: r.GetString(0), Secret: box.Unprotect(r.GetString(1)), Paused: r.NullableTime(2), FailingSince: r.NullableTime(3)), ct, ("id", subscriptionId))).SingleOrDefault();
        if (sub.Url is null) return new OutboxResult.Done();                      // subscription deleted
        if (sub.Paused is not null) return new OutboxResult.Failed("subscription paused");
        var ev = (await Sql.QueryAsync(conn, null, """
            select id, business_id, entity_type, entity_id, webhook_event_type(type), occurred_at, data::text from entity_events where id = @id
            """, r => (Id: r.GetInt64(0), Business: r.GetGuid(1), EntityType: r.GetString(2), EntityId: r.GetGuid(3), Type: r.GetString(4),
                At: r.Time(5), Data: r.GetString(6)), ct, ("id", eventId))).Single();

        var body = Encoding.UTF8.GetBytes(Body(ev.Id, ev.Type, ev.At, ev.Business, ev.EntityType, ev.EntityId, ev.Data));
        var now = clock.GetUtcNow();
        var timestamp = now.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, sub.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString());
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(sub.Secret, timestamp, body));
        request.Headers.Add(WebhookSignature.EventHeader, ev.Type);
        request.Headers.Add("Idempotency-Key", $"event-{ev.Id}");

        int? status = null;
        string? error = null;
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await http.CreateClient("webhooks").SendAsync(request, ct);
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode) error = $"HTTP {status}";
        }
        // The receiver's network stays private: the log says only that it could not be reached.
        catch (HttpRequestException) { error = "unreachable"; }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { error = "timeout"; }
        var ok = error is null;
        await Sql.ExecAsync(conn, null, """
            insert into webhook_attempts (subscription_id, event_id, event_type, outbox_id, status_code, error, duration_ms, succeeded, at)
            values (@s, @e, @t, @o, @code, @err, @ms, @ok, @now)
            """, ct, ("s", subscriptionId), ("e", ev.Id), ("t", ev.Type), ("o", item.Id), ("code", status), ("err", error),
            ("ms", (int)watch.ElapsedMilliseconds), ("ok", ok), ("now", now));
        if (ok)
        {
            await Sql.ExecAsync(conn, null, "update webhook_subscriptions set failing_since = null where id = @id and failing_since is not null", ct, ("id", subscriptionId));
            return new OutboxResult.Done();
        }
        var failingSince = sub.FailingSince ?? now;
        if (sub.FailingSince is null)
            await Sql.ExecAsync(conn, null, "update webhook_subscriptions set failing_since = @now where id = @id and failing_since is null", ct, ("id", subscriptionId), ("now", now));
        if (now - failingSince < PauseAfter) return new OutboxResult.Retry(error!);
        await PauseAsync(conn, ev.Business, subscriptionId, sub.Url, error!, now, ct);
        return new OutboxResult.Failed($"subscription paused after failing since {failingSince:O}: {error}");
    }

    private static async Task PauseAsync(NpgsqlConnection conn, Guid business, Guid subscriptionId, string url, string error, DateTimeOffset now, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        var paused = await Sql.ExecAsync(conn, tx, """
            update webhook_subscriptions set paused_at = @now, pause_reason = @why, updated_at = @now, version = version + 1
             where id = @id and paused_at is null
            """, ct, ("id", subscriptionId), ("now", now), ("why", $"failing for 24 hours: {error}"));
        if (paused == 1)
        {
            // Everything not yet delivered stays on record as failed, to be replayed once the receiver is fixed.
            await Sql.ExecAsync(conn, tx, """
                update outbox set status = 'failed', last_error = 'subscription paused', lease_owner = null, lease_until = null, updated_at = @now
                 where topic = @topic and status = 'pending' and payload->>'subscriptionId' = @id::text
                """, ct, ("topic", Topic), ("id", subscriptionId), ("now", now));
            await Notifications.NotificationStore.NotifyAsync(conn, tx, business, "webhook_paused",
                $"Webhook {url} was paused after failing for 24 hours ({error}). "
                + "Fix the receiver, resume it and replay the failed deliveries.",
                subscriptionId, new { SubscriptionId = subscriptionId }, now, ct);
            await AuditLog.WriteAsync(conn, tx, Actor.System(business), "webhook.paused", "webhook", subscriptionId, null, new { reason = error }, now, ct);
        }
        await tx.CommitAsync(ct);
    }

    public static string Body(long id, string type, DateTimeOffset at, Guid business, string entityType, Guid entityId, string dataJson)
    {
        var data = JsonNode.Parse(dataJson) as JsonObject ?? new JsonObject();
        data[entityType + "Id"] = entityId.ToString();
        return new JsonObject
        {
            ["id"] = id.ToString(), ["type"] = type, ["occurredAt"] = at.ToString("O"), ["businessId"] = business.ToString(), ["data"] = data,
        }.ToJsonString(Effects.Json);
    }
}
