using System.Text.Json;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Notifications;

/// <summary>A notification as one user sees it: read or not by them.</summary>
public sealed record NotificationView(
    long Id, string Kind, string Text, JsonElement Data, DateTimeOffset CreatedAt, bool Read);

/// <summary>
/// What supervisors must be told — a low rating, a raised alert (a VIP waiting among them), a paused webhook — for
/// every Editor and Administrator of the business, each marking them read for themself. A notification is written in the
/// transaction of what caused it, with a <c>notification.created</c> event, so it reaches the live stream at once.
/// </summary>
public sealed class NotificationStore(NpgsqlDataSource db, TimeProvider clock)
{
    public const string Created = "notification.created";

    /// <summary>The notification and its event, about <paramref name="subject"/> (the conversation, the alert's subject,
    /// the webhook).</summary>
    public static NpgsqlBatchCommand Notify(Guid business, string kind, string text, Guid subject, object data,
        DateTimeOffset now)
    {
        var cmd = new NpgsqlBatchCommand($"""
            with n as (insert into notifications (business_id, kind, text, data, created_at)
                       values (@b, @k, @t, @d, @now) returning id)
            insert into entity_events (business_id, entity_type, entity_id, type, occurred_at, data)
            select @b, 'notification', @s, '{Created}', @now, jsonb_build_object('notificationId', n.id, 'kind', @k)
              from n
            """);
        cmd.Parameters.Add(new NpgsqlParameter("b", business));
        cmd.Parameters.Add(new NpgsqlParameter("k", kind));
        cmd.Parameters.Add(new NpgsqlParameter("t", text));
        cmd.Parameters.Add(new NpgsqlParameter("s", subject));
        cmd.Parameters.Add(new NpgsqlParameter("d", NpgsqlDbType.Jsonb)
            { Value = JsonSerializer.Serialize(data, Effects.Json) });
        cmd.Parameters.Add(new NpgsqlParameter("now", now));
        return cmd;
    }

    /// <summary><see cref="Notify"/>, run at once in the caller's transaction.</summary>
    public static async Task NotifyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid business, string kind,
        string text, Guid subject, object data, DateTimeOffset now, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx);
        batch.BatchCommands.Add(Notify(business, kind, text, subject, data, now));
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The business's latest notifications (newest first), read or not by <paramref name="user"/> (an API key
    /// without a user reads them all as unread).</summary>
    public async Task<IReadOnlyList<NotificationView>> ListAsync(Guid business, Guid? user, bool unreadOnly,
        CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, $"""
            select n.id, n.kind, n.text, n.data::text, n.created_at, r.user_id is not null
              from notifications n left join notification_reads r on r.notification_id = n.id and r.user_id = @u
             where n.business_id = @b {(unreadOnly ? "and r.user_id is null" : "")}
             order by n.id desc limit 200
            """, r => new NotificationView(r.GetInt64(0), r.GetString(1), r.GetString(2),
                JsonDocument.Parse(r.GetString(3)).RootElement.Clone(), r.Time(4), r.GetBoolean(5)),
            ct, ("b", business), ("u", (object?)user ?? DBNull.Value));
    }

    public async Task<int> UnreadAsync(Guid business, Guid? user, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, """
            select count(*)::int from notifications n
             where n.business_id = @b
               and not exists (select 1 from notification_reads r where r.notification_id = n.id and r.user_id = @u)
            """, r => r.GetInt32(0), ct, ("b", business), ("u", (object?)user ?? DBNull.Value))).Single();
    }

    /// <summary>Marks these notifications (all, when none are named) read for the user; returns how many
    /// changed.</summary>
    public async Task<int> MarkReadAsync(Guid business, Guid user, IReadOnlyList<long>? ids, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.ExecAsync(conn, null, """
            insert into notification_reads (notification_id, user_id, read_at)
            select n.id, @u, @now from notifications n
             where n.business_id = @b and (@ids::bigint[] is null or n.id = any(@ids))
            on conflict do nothing
            """, ct, ("b", business), ("u", user), ("now", clock.GetUtcNow()),
            ("ids", (object?)ids?.ToArray() ?? DBNull.Value));
    }
}
