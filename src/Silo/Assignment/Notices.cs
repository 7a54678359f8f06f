using Engine.Grains.Assignment;
using Engine.Grains.Automation;
using Engine.Grains.Interfaces.Messaging;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Automation;
using Engine.Silo.Database;
using Engine.Silo.Outbound;
using Engine.Silo.Runtime;
using Npgsql;

namespace Engine.Silo.Assignment;

/// <summary>
/// What the customer is told: when queued, their position and an estimated wait (from the team's recent handling times,
/// counted in business hours: outside them, or when the wait runs past closing, the estimate is the local time to
/// expect a reply); again when their place improves markedly (<see cref="QueueNotice"/>); when assigned, the agent's
/// name and the expected reply time (from the team's recent first responses). Sent through the normal outbound path,
/// so the window and limits apply; a notice the window does not allow is skipped, and one that no longer applies when
/// its turn to go out comes (<see cref="StillAppliesAsync"/>) is dropped.
/// </summary>
public sealed class Notices(NpgsqlDataSource db, OutboundService outbound, TimeProvider clock) : IOutboxHandler
{
    public const string Topic = "notice.customer";
    string IOutboxHandler.Topic => Topic;

    /// <summary>The kinds of notice, as messages record them (<c>messages.notice</c>).</summary>
    public const string KindQueued = "queued", KindUpdate = "update", KindAssigned = "assigned";

    private static readonly TimeSpan DefaultHandling = TimeSpan.FromMinutes(5), DefaultFirstReply = TimeSpan.FromMinutes(2);

    public static OutboxIntent Assigned(Guid conversation, DateTimeOffset now) => Intent(conversation, KindAssigned, now);

    public static OutboxIntent Queued(Guid conversation, DateTimeOffset queuedAt) => Intent(conversation, KindQueued, queuedAt);

    public static OutboxIntent Update(Guid conversation, DateTimeOffset now) => Intent(conversation, KindUpdate, now);

    private static OutboxIntent Intent(Guid conversation, string kind, DateTimeOffset at) =>
        new(Topic, $"notice:{kind}:{conversation}:{at.UtcTicks}", new { ConversationId = conversation, Kind = kind },
            $"conversation:{conversation}");

    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        var id = item.Payload.GetProperty("conversationId").GetGuid();
        var kind = item.Payload.GetProperty("kind").GetString() ?? "";
        var now = clock.GetUtcNow();
        var business = Guid.Empty;
        string? text;
        await using (var conn = await db.OpenConnectionAsync(ct)) (business, text) = await ComposeAsync(conn, id, kind, now, ct);
        if (text is null) return new OutboxResult.Done();
        // Refusals (window closed, quota) mean the customer cannot be told now: nothing to retry.
        await outbound.SendAsync(business, id, new OutboundMessage("text", Text: text), [], item.IdempotencyKey,
            Actor.System(business), ct, notice: kind);
        return new OutboxResult.Done();
    }

    /// <summary>
    /// Whether a notice waiting to go out still tells the truth: a queue notice while the conversation still waits
    /// unassigned, an assignment notice while it is still assigned and no person has written to the customer since
    /// the notice was written.
    /// </summary>
    public static async Task<bool> StillAppliesAsync(NpgsqlConnection conn, Guid message, string notice, CancellationToken ct) =>
        (await Sql.QueryAsync(conn, null, $"""
            select c.status = 'open' and case when @k = 'assigned'
                     then c.assignee_id is not null and not exists (
                          select 1 from messages h where h.conversation_id = c.id and h.direction = 'out'
                             and h.{OutboundMessages.PersonSql} and h.created_at >= m.created_at and h.id <> m.id)
                     else c.assignee_id is null and c.team_id is not null end
              from messages m join conversations c on c.id = m.conversation_id where m.id = @m
            """, r => r.GetBoolean(0), ct, ("m", message), ("k", notice))).SingleOrDefault();

    private static async Task<(Guid Business, string? Text)> ComposeAsync(NpgsqlConnection conn, Guid id, string kind,
        DateTimeOffset now, CancellationToken ct)
    {
        var c = (await Sql.QueryAsync(conn, null, """
            select c.business_id, c.team_id, c.assignee_id, u.name, c.queued_at, c.priority, c.status,
                   q.position, q.told_at
              from conversations c left join users u on u.id = c.assignee_id
              left join queue_notices q on q.conversation_id = c.id where c.id = @id
            """, r => (Business: r.GetGuid(0), Team: r.NullableGuid(1), Assignee: r.NullableGuid(2), Agent: r.NullableString(3),
                QueuedAt: r.NullableTime(4), Priority: r.GetInt32(5), Status: r.GetString(6),
                Told: r.IsDBNull(7) ? ((int, DateTimeOffset)?)null : (r.GetInt32(7), r.Time(8))), ct, ("id", id)))
            .SingleOrDefault();
        if (c.Business == Guid.Empty || c.Status != "open") return (c.Business, null);
        if (kind == KindAssigned)
        {
            if (c.Agent is null) return (c.Business, null);
            var reply = await AverageAsync(conn, "first_human_reply_at - assigned_at", c.Team, ct) ?? DefaultFirstReply;
            return (c.Business, $"You are now chatting with {c.Agent}. Expect a reply within about {Minutes(reply)}.");
        }
        if (c.Assignee is not null || c.Team is not { } team || c.QueuedAt is not { } queuedAt) return (c.Business, null);
        var position = (await Sql.QueryAsync(conn, null, """
            select count(*)::int + 1 from conversations where team_id = @t and status = 'open' and assignee_id is null and id <> @id
               and (priority > @p or (priority = @p and (queued_at, id) < (@q, @id)))
            """, r => r.GetInt32(0), ct, ("t", team), ("id", id), ("p", c.Priority), ("q", queuedAt)))[0];
        // An update goes out only when the place improved markedly since the customer was last told.
        if (kind == KindUpdate && (c.Told is not { } told || !QueueNotice.TellAgain(told.Item1, told.Item2, position, now)))
            return (c.Business, null);
        var handling = await AverageAsync(conn, "resolved_at - assigned_at", team, ct) ?? DefaultHandling;
        var agents = (await Sql.QueryAsync(conn, null, """
            select count(*)::int from team_members m join users u on u.id = m.user_id
             where m.team_id = @t and u.presence = 'online' and u.disabled_at is null
            """, r => r.GetInt32(0), ct, ("t", team)))[0];
        var hours = await AutomationStore.HoursForAsync(conn, null, c.Business, team, ct);
        await Sql.ExecAsync(conn, null, """
            insert into queue_notices (conversation_id, position, told_at) values (@c, @p, @now)
            on conflict (conversation_id) do update set position = excluded.position, told_at = excluded.told_at
            """, ct, ("c", id), ("p", position), ("now", now));
        return (c.Business, QueueText(kind, position, handling * position / Math.Max(1, agents), hours, now));
    }

    /// <summary>The queue notice: the place, and the wait in business hours — "about N minutes" when it ends before
    /// closing, otherwise the local time to expect a reply, with the hours when the business is closed now.</summary>
    public static string QueueText(string kind, int position, TimeSpan wait, BusinessHours hours, DateTimeOffset now)
    {
        var expected = hours.AfterOpenTime(now, wait);
        var estimate = expected - now <= wait + TimeSpan.FromMinutes(1)
            ? $"Estimated wait: about {Minutes(wait)}."
            : $"Expect a reply by {hours.Local(expected):ddd HH:mm}.";
        var place = kind == KindUpdate ? $"Your place in the queue is now number {position}."
            : $"Thanks for waiting — you are number {position} in the queue.";
        return hours.IsOpen(now) ? $"{place} {estimate}" : $"We are closed now (our hours: {hours.Describe()}). {place} {estimate}";
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
