using Engine.Grains.Interfaces.Messaging;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Engine.Silo.Outbound;
using Engine.Silo.Runtime;
using Npgsql;

namespace Engine.Silo.Assignment;

/// <summary>
/// What the customer is told: when queued, their position and an estimated wait (from the team's recent
/// handling times); when assigned, the agent's name and the expected reply time (from the team's recent
/// first responses). Sent through the normal outbound path, so the window and limits apply; a notice
/// the window does not allow is skipped.
/// </summary>
public sealed class Notices(NpgsqlDataSource db, OutboundService outbound) : IOutboxHandler
{
    public const string Topic = "notice.customer";
    string IOutboxHandler.Topic => Topic;

    private static readonly TimeSpan DefaultHandling = TimeSpan.FromMinutes(5), DefaultFirstReply = TimeSpan.FromMinutes(2);

    public static OutboxIntent Assigned(Guid conversation, DateTimeOffset now) =>
        new(Topic, $"notice:assigned:{conversation}:{now.UtcTicks}", new { ConversationId = conversation, Kind = "assigned" }, $"conversation:{conversation}");

    public static OutboxIntent Queued(Guid conversation, DateTimeOffset queuedAt) =>
        new(Topic, $"notice:queued:{conversation}:{queuedAt.UtcTicks}", new { ConversationId = conversation, Kind = "queued" }, $"conversation:{conversation}");

    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        var id = item.Payload.GetProperty("conversationId").GetGuid();
        var kind = item.Payload.GetProperty("kind").GetString();
        var business = Guid.Empty;
        string? text;
        await using (var conn = await db.OpenConnectionAsync(ct)) (business, text) = await ComposeAsync(conn, id, kind, ct);
        if (text is null) return new OutboxResult.Done();
        // Refusals (window closed, quota) mean the customer cannot be told now: nothing to retry.
        await outbound.SendAsync(business, id, new OutboundMessage("text", Text: text), [], item.IdempotencyKey, Actor.System(business), ct);
        return new OutboxResult.Done();
    }

    private static async Task<(Guid Business, string? Text)> ComposeAsync(NpgsqlConnection conn, Guid id, string? kind, CancellationToken ct)
    {
        var c = (await Sql.QueryAsync(conn, null, """
            select c.business_id, c.team_id, c.assignee_id, u.name, c.queued_at, c.priority, c.status
              from conversations c left join users u on u.id = c.assignee_id where c.id = @id
            """, r => (Business: r.GetGuid(0), Team: r.NullableGuid(1), Assignee: r.NullableGuid(2), Agent: r.NullableString(3),
                QueuedAt: r.NullableTime(4), Priority: r.GetInt32(5), Status: r.GetString(6)), ct, ("id", id))).SingleOrDefault();
        if (c.Business == Guid.Empty || c.Status != "open") return (c.Business, null);
        string? text = null;
        if (kind == "assigned" && c.Agent is not null)
        {
            var reply = await AverageAsync(conn, "first_human_reply_at - assigned_at", c.Team, ct) ?? DefaultFirstReply;
            text = $"You are now chatting with {c.Agent}. Expect a reply within about {Minutes(reply)}.";
        }
        else if (kind == "queued" && c.Assignee is null && c.Team is { } team && c.QueuedAt is { } queuedAt)
        {
            var position = (await Sql.QueryAsync(conn, null, """
                select count(*)::int + 1 from conversations where team_id = @t and status = 'open' and assignee_id is null and id <> @id
                   and (priority > @p or (priority = @p and (queued_at, id) < (@q, @id)))
                """, r => r.GetInt32(0), ct, ("t", team), ("id", id), ("p", c.Priority), ("q", queuedAt)))[0];
            var handling = await AverageAsync(conn, "resolved_at - assigned_at", team, ct) ?? DefaultHandling;
            var agents = (await Sql.QueryAsync(conn, null, """
                select count(*)::int from team_members m join users u on u.id = m.user_id
                 where m.team_id = @t and u.presence = 'online' and u.disabled_at is null
                """, r => r.GetInt32(0), ct, ("t", team)))[0];
            var wait = handling * position / Math.Max(1, agents);
            text = $"Thanks for waiting — you are number {position} in the queue. Estimated wait: about {Minutes(wait)}.";
        }
        return (c.Business, text);
    }

    /// <summary>Mean of a duration over the team's last 50 conversations that have it.</summary>
    private static async Task<TimeSpan?> AverageAsync(NpgsqlConnection conn, string duration, Guid? team, CancellationToken ct)
    {
        if (team is null) return null;
        var seconds = (await Sql.QueryAsync(conn, null, $"""
            select avg(extract(epoch from d)) from (
              select {duration} as d from conversations where team_id = @t and {duration} is not null order by assigned_at desc limit 50) x
            """, r => r.IsDBNull(0) ? (double?)null : Convert.ToDouble(r.GetValue(0)), ct, ("t", team)))[0];
        return seconds is { } s ? TimeSpan.FromSeconds(s) : null;
    }

    private static string Minutes(TimeSpan t) => t.TotalMinutes < 1.5 ? "1 minute" : $"{Math.Round(t.TotalMinutes)} minutes";
}

/// <summary>Runs the offers and drains that assignment events leave in the outbox.</summary>
public sealed class OfferHandler(TeamQueues queues, NpgsqlDataSource db) : IOutboxHandler
{
    public string Topic => Engine.Grains.Conversations.ConversationRules.OfferTopic;

    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        var id = item.Payload.GetProperty("conversationId").GetGuid();
        if (await queues.OfferAsync(id, ct) is not null) return new OutboxResult.Done();
        // Nobody could take it: it waits, and the customer is told their place in the queue.
        await using var conn = await db.OpenConnectionAsync(ct);
        var queued = (await Sql.QueryAsync(conn, null, "select business_id, queued_at from conversations where id = @id and status = 'open' and assignee_id is null and team_id is not null",
            r => (Business: r.GetGuid(0), At: r.NullableTime(1)), ct, ("id", id))).SingleOrDefault();
        if (queued.At is { } at)
        {
            var effects = new Effects();
            effects.Add(Conversations.ConversationStore.EntityType, id, queued.Business,
                new Decision<int>(0, [], [], [Notices.Queued(id, at)]), at);
            var batch = new NpgsqlBatch(conn);
            effects.AppendTo(batch, at);
            await batch.ExecuteNonQueryAsync(ct);
        }
        return new OutboxResult.Done();
    }
}

public sealed class DrainHandler(TeamQueues queues) : IOutboxHandler
{
    public string Topic => AssignmentTriggers.DrainTopic;

    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        await queues.DrainAsync(item.Payload.GetProperty("teamId").GetGuid());
        return new OutboxResult.Done();
    }
}
