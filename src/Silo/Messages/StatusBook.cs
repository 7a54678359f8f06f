using Engine.Grains.Interfaces.Ingestion;
using Engine.Grains.Messages;
using Engine.Silo.Database;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Messages;

/// <summary>
/// Delivery statuses of outbound messages. A status only moves a message forward
/// (<see cref="MessageStatusRule"/>); a status whose message id is not known yet — the webhook
/// overtook the send's response — is held and applied when the send records that id.
/// </summary>
public static class StatusBook
{
    // The monotonic rule, in SQL: a higher rank wins, nothing replaces 'failed'.
    private const string Advances = "{0}.status_rank < {1}.rank and {0}.status is distinct from 'failed'";

    public static NpgsqlBatchCommand ApplyOrHold(IEnumerable<Guid> channelIds, IEnumerable<InboundStatus> statuses, DateTimeOffset now)
    {
        var list = statuses.ToList();
        var cmd = new NpgsqlBatchCommand($"""
            with s as (
                select * from unnest(@c, @p, @st, @rk, @at, @err) as s(channel_id, pid, status, rank, at, error)),
            applied as (
                update messages m set status = s.status, status_rank = s.rank, status_at = s.at,
                       error = coalesce(s.error::jsonb, m.error), updated_at = @now
                  from s
                 where m.channel_id = s.channel_id and m.provider_message_id = s.pid and m.direction = 'out'
                   and {string.Format(Advances, "m", "s")}
                returning m.id, m.business_id, m.conversation_id, s.status, s.error),
            recorded as (
                -- Delivery ticks reach the live stream as events of the conversation.
                insert into entity_events (business_id, entity_type, entity_id, type, occurred_at, data)
                select business_id, 'conversation', conversation_id, 'message.status', @now, jsonb_build_object('messageId', id, 'status', status) from applied)
            insert into pending_statuses as ps (channel_id, provider_message_id, status, status_rank, status_at, error, received_at)
            select s.channel_id, s.pid, s.status, s.rank, s.at, s.error::jsonb, @now from s
             where not exists (select 1 from messages m where m.channel_id = s.channel_id and m.provider_message_id = s.pid)
            on conflict (channel_id, provider_message_id) do update
               set status = excluded.status, status_rank = excluded.status_rank, status_at = excluded.status_at,
                   error = coalesce(excluded.error, ps.error)
             where ps.status_rank < excluded.status_rank and ps.status is distinct from 'failed'
            """);
        cmd.Parameters.Add(new NpgsqlParameter("c", channelIds.ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("p", list.Select(s => s.ProviderMessageId).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("st", list.Select(s => s.Status).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("rk", list.Select(s => MessageStatusRule.Rank(s.Status)).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("at", list.Select(s => s.At).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("err", NpgsqlDbType.Array | NpgsqlDbType.Text)
            { Value = list.Select(s => (object?)s.ErrorJson ?? DBNull.Value).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("now", now));
        return cmd;
    }

    /// <summary>
    /// The provider accepted an outbound message: record its id (WeChat gives none), mark it accepted,
    /// and apply any status that arrived before the id was known. Runs in the sender's transaction.
    /// </summary>
    public static async Task MarkAcceptedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid messageId, string? providerMessageId, DateTimeOffset now, CancellationToken ct)
    {
        var channel = (await Sql.QueryAsync(conn, tx, """
            update messages set provider_message_id = coalesce(@pid, provider_message_id), accepted_at = @now, updated_at = @now,
                   status = case when status_rank < 1 then @status else status end,
                   status_rank = greatest(status_rank, 1), status_at = case when status_rank < 1 then @now else status_at end
             where id = @id and direction = 'out'
            returning channel_id
            """, r => r.GetGuid(0), ct, ("id", messageId), ("pid", providerMessageId), ("now", now),
            ("status", providerMessageId is null ? "sent" : "accepted"))).SingleOrDefault();
        if (channel == Guid.Empty) throw new InvalidOperationException($"Outbound message {messageId} does not exist.");
        if (providerMessageId is null) return;
        await Sql.ExecAsync(conn, tx, $"""
            with held as (
                delete from pending_statuses where channel_id = @c and provider_message_id = @pid
                returning status, status_rank as rank, status_at, error)
            update messages x set status = held.status, status_rank = held.rank, status_at = held.status_at,
                   error = coalesce(held.error, x.error), updated_at = @now
              from held
             where x.id = @id and {string.Format(Advances, "x", "held")}
            """, ct, ("id", messageId), ("c", channel), ("pid", providerMessageId), ("now", now));
    }

    /// <summary>The provider refused the message for good (or retries ran out): failed, with the provider's code and a readable reason.</summary>
    /// <summary>An automated notice that no longer applied when its turn came: never sent (final, like failed).</summary>
    public static Task MarkDroppedAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid messageId, string reason,
        DateTimeOffset now, CancellationToken ct) =>
        Sql.ExecAsync(conn, tx, """
            update messages set status = 'dropped', status_rank = 5, status_at = @now, updated_at = @now, failure_reason = @reason
             where id = @id and status = 'queued'
            """, ct, ("id", messageId), ("reason", reason), ("now", now));

    public static Task MarkFailedAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid messageId, int? code, string reason, DateTimeOffset now, CancellationToken ct) =>
        Sql.ExecAsync(conn, tx, """
            update messages set status = 'failed', status_rank = greatest(status_rank, 4), status_at = @now, updated_at = @now,
                   failure_code = @code, failure_reason = @reason
             where id = @id and status is distinct from 'failed' and status_rank < 5
            """, ct, ("id", messageId), ("code", code), ("reason", reason), ("now", now));
}
