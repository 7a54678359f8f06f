using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Assignment;

/// <summary>
/// Assignment is event-driven: a conversation entering a queue is offered (outbox "assignment.offer",
/// written by the conversation grain), and a team's queue is drained when one of its agents comes
/// online, frees capacity or is released. These rows are written in the transaction that caused them.
/// </summary>
public static class AssignmentTriggers
{
    public const string DrainTopic = "assignment.drain";

    public static Task DrainTeamsOfAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid userId, DateTimeOffset now, CancellationToken ct) =>
        Sql.ExecAsync(conn, tx, """
            insert into outbox (business_id, topic, ordering_key, idempotency_key, payload, due_at, created_at, updated_at)
            select t.business_id, @topic, null, 'drain:' || t.id || ':' || gen_random_uuid(), jsonb_build_object('teamId', t.id), @now, @now, @now
              from team_members m join teams t on t.id = m.team_id where m.user_id = @u
            """, ct, ("topic", DrainTopic), ("u", userId), ("now", now));

    public static Task DrainTeamAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid teamId, DateTimeOffset now, CancellationToken ct) =>
        Sql.ExecAsync(conn, tx, """
            insert into outbox (business_id, topic, ordering_key, idempotency_key, payload, due_at, created_at, updated_at)
            select business_id, @topic, null, 'drain:' || id || ':' || gen_random_uuid(), jsonb_build_object('teamId', id), @now, @now, @now
              from teams where id = @t
            """, ct, ("topic", DrainTopic), ("t", teamId), ("now", now));
}
