using System.Text.Json;
using Engine.Grains.Interfaces.Messaging;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Engine.Silo.Outbound;
using Engine.Silo.Runtime;
using Npgsql;

namespace Engine.Silo.Automation;

public sealed record CsatReport(DateTimeOffset From, DateTimeOffset To, int Requested, int Answered, decimal? Average, decimal? Csat, IReadOnlyDictionary<int, int> Distribution);

/// <summary>
/// CSAT: when a conversation is resolved the customer is asked for a rating 1–5 (a list on WhatsApp, a
/// numbered question on WeChat) if the window is open. The answer — a list choice, or a bare digit while a
/// request is pending — is stored against the conversation, agent and team without reopening anything;
/// CSAT is the share of 4–5 ratings; a rating under 4 tells the supervisors.
/// </summary>
public sealed class Csat(NpgsqlDataSource db, OutboundService outbound, TimeProvider clock) : IOutboxHandler
{
    public const string Topic = "csat.request";
    public static readonly TimeSpan AnswerWithin = TimeSpan.FromHours(24);
    string IOutboxHandler.Topic => Topic;

    public static OutboxIntent Request(Guid conversation) => new(Topic, $"csat:{conversation}:{Guid.NewGuid():N}", new { ConversationId = conversation });

    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        var id = item.Payload.GetProperty("conversationId").GetGuid();
        var now = clock.GetUtcNow();
        (Guid Business, Guid Contact, Guid? Agent, Guid? Team, string Kind) c;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            c = (await Sql.QueryAsync(conn, null, """
                select v.business_id, v.contact_id, v.assignee_id, v.team_id, ch.kind from conversations v join channels ch on ch.id = v.channel_id
                 where v.id = @id and v.status = 'resolved'
                """, r => (r.GetGuid(0), r.GetGuid(1), r.NullableGuid(2), r.NullableGuid(3), r.GetString(4)), ct, ("id", id))).SingleOrDefault();
            if (c.Business == Guid.Empty) return new OutboxResult.Done();
        }
        var question = "How did we do? Please rate us from 1 (poor) to 5 (excellent).";
        var message = c.Kind == "whatsapp"
            ? new OutboundMessage("list", Text: question, List: new OutboundList("Rate us", [new ListSection("Rating",
                Enumerable.Range(1, 5).Reverse().Select(n => new ListRow($"csat:{n}", new string('★', n), null)).ToList())]))
            : new OutboundMessage("text", Text: question + " Reply with a number.");
        var sent = await outbound.SendAsync(c.Business, id, message, [], item.IdempotencyKey, Actor.System(c.Business), ct);
        if (sent is not SendResult.Accepted) return new OutboxResult.Done();   // window closed: no request
        await using (var conn = await db.OpenConnectionAsync(ct))
            await Sql.ExecAsync(conn, null, """
                insert into csat_requests (conversation_id, business_id, contact_id, agent_id, team_id, requested_at) values (@c, @b, @p, @a, @t, @now)
                on conflict (conversation_id) do update set requested_at = excluded.requested_at, rating = null, comment = null, answered_at = null
                """, ct, ("c", id), ("b", c.Business), ("p", c.Contact), ("a", c.Agent), ("t", c.Team), ("now", now));
        return new OutboxResult.Done();
    }

    /// <summary>A rating in a customer's message: a list choice "csat:N", or a bare digit 1–5.</summary>
    public static int? Rating(string? text, string contentJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(contentJson);
            if (doc.RootElement.TryGetProperty("interactive", out var i) && i.TryGetProperty("list_reply", out var l) && l.TryGetProperty("id", out var id)
                && id.GetString() is { } s && s.StartsWith("csat:") && int.TryParse(s[5..], out var n) && n is >= 1 and <= 5) return n;
        }
        catch (JsonException) { }
        return text?.Trim() is { Length: 1 } t && t[0] is >= '1' and <= '5' ? t[0] - '0' : null;
    }

    /// <summary>Pending rating requests (asked within the last 24 hours) of these contacts, locked with them.</summary>
    public static async Task<Dictionary<Guid, Guid>> PendingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid[] contacts, DateTimeOffset now, CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx, """
            select distinct on (contact_id) contact_id, conversation_id from csat_requests
             where contact_id = any(@c) and answered_at is null and requested_at > @since order by contact_id, requested_at desc
            """, r => (r.GetGuid(0), r.GetGuid(1)), ct, ("c", contacts), ("since", now - AnswerWithin))).ToDictionary(x => x.Item1, x => x.Item2);

    /// <summary>Records an answer in the inbound transaction: the rating, the csat.submitted event, and a notice to supervisors under 4.</summary>
    public static IEnumerable<NpgsqlBatchCommand> Answer(Guid business, Guid conversation, int rating, string? comment, DateTimeOffset now, Effects effects)
    {
        effects.Add(Conversations.ConversationStore.EntityType, conversation, business,
            new Decision<int>(0, [new DomainEvent("csat.submitted", now, new { ConversationId = conversation, Rating = rating, Comment = comment })], [], []), now);
        yield return Sql.Command("update csat_requests set rating = @r, comment = @c, answered_at = @now where conversation_id = @id and answered_at is null",
            ("r", rating), ("c", comment), ("now", now), ("id", conversation));
        if (rating < 4)
            yield return Notifications.NotificationStore.Notify(business, "csat_low",
                $"A customer rated conversation {conversation} {rating}/5.", conversation,
                new { ConversationId = conversation, Rating = rating }, now);
    }

    public async Task<CsatReport> ReportAsync(Guid business, DateTimeOffset? from, DateTimeOffset? to, Guid? agent, Guid? team, CancellationToken ct)
    {
        var (start, end) = Reports.ReportPeriod.Resolve(from, to, clock.GetUtcNow(), 30);
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await Sql.QueryAsync(conn, null, """
            select rating from csat_requests where business_id = @b and requested_at >= @f and requested_at < @t
               and (@a::uuid is null or agent_id = @a) and (@team::uuid is null or team_id = @team)
            """, r => r.IsDBNull(0) ? (int?)null : r.GetInt32(0), ct, ("b", business), ("f", start), ("t", end), ("a", agent), ("team", team));
        var ratings = rows.OfType<int>().ToList();
        return new CsatReport(start, end, rows.Count, ratings.Count,
            ratings.Count == 0 ? null : Math.Round((decimal)ratings.Average(), 2),
            Reports.ReportPeriod.Ratio(ratings.Count(r => r >= 4), ratings.Count),
            Enumerable.Range(1, 5).ToDictionary(n => n, n => ratings.Count(r => r == n)));
    }
}
