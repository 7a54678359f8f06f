using Engine.Grains.Automation;
using Engine.Grains.Conversations;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Automation;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Npgsql;

namespace Engine.Silo.Alerts;

/// <summary>The thresholds a conversation's alert checks are armed with: first response, and waiting (the VIP threshold
/// when it is the sooner; the check itself applies the one for the customer) — both in business time, counted on the
/// business's <see cref="Hours"/>, or a team's own (<see cref="TeamHours"/>) for a conversation in its queue.</summary>
public sealed record AlertThresholds(TimeSpan FirstResponse, TimeSpan Waiting, BusinessHours Hours,
    IReadOnlyDictionary<Guid, BusinessHours> TeamHours)
{
    public BusinessHours HoursFor(Guid? team) => team is { } t && TeamHours.TryGetValue(t, out var own) ? own : Hours;
}

/// <summary>
/// Arms and ends a conversation's alert checks from the events of its decisions, so alerts are evaluated when
/// something can have changed and at the moment a threshold can be crossed — never by scanning. Opening and the bot's
/// hand-over arm the first-response check; entering a queue arms the waiting check; both are deadlines in the
/// conversation's state. Being assigned, answered or resolved clears the alerts that no longer hold in the same
/// batch.
/// </summary>
public static class AlertWatch
{
    public const string EntityType = "alert";

    public static bool IsWaiting(ConversationState s) =>
        s.Status == ConversationStatus.Open && s.QueuedAt is not null && s.AssigneeId is null;

    /// <summary>Whether the decision arms a check (and so needs its business's thresholds).</summary>
    public static bool Arms(Decision<ConversationState> d) =>
        d.Events.Any(e => e.Type is ConversationEvents.Opened or ConversationEvents.BotHandedOver
            or ConversationEvents.Queued);

    public static ConversationState Arm(ConversationState s, IEnumerable<DomainEvent> events,
        IReadOnlyDictionary<Guid, AlertThresholds> thresholds)
    {
        var deadlines = s.Deadlines;
        foreach (var e in events)
        {
            if (e.Type is ConversationEvents.Opened or ConversationEvents.BotHandedOver
                && thresholds[s.BusinessId] is var first)
                deadlines = deadlines.SetItem(ConversationTimers.FirstResponseAlert,
                    first.HoursFor(s.TeamId).AfterOpenTime(e.At, first.FirstResponse));
            else if (e.Type == ConversationEvents.Queued && thresholds[s.BusinessId] is var waiting)
                deadlines = deadlines.SetItem(ConversationTimers.WaitingAlert,
                    waiting.HoursFor(s.TeamId).AfterOpenTime(e.At, waiting.Waiting));
        }
        return ReferenceEquals(deadlines, s.Deadlines) ? s : s with { Deadlines = deadlines };
    }

    public static async Task<IReadOnlyDictionary<Guid, AlertThresholds>> ThresholdsAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, Guid[] businesses, Guid[] teams, CancellationToken ct)
    {
        if (businesses.Length == 0) return new Dictionary<Guid, AlertThresholds>();
        var stored = (await Sql.QueryAsync(conn, tx, """
                select business_id, kind, threshold from alert_rules
                 where business_id = any(@b) and kind in ('first_response', 'waiting', 'vip_waiting')
                """, r => (Business: r.GetGuid(0), Kind: r.GetString(1), Seconds: r.GetDecimal(2)), ct,
                ("b", businesses)))
            .ToLookup(x => x.Business);
        var hours = await AutomationStore.HoursAsync(conn, tx, businesses, ct);
        var teamHours = await AutomationStore.TeamHoursAsync(conn, tx, teams, ct);
        return businesses.ToDictionary(b => b, b =>
        {
            TimeSpan Of(string kind) => TimeSpan.FromSeconds((double)(stored[b].FirstOrDefault(x => x.Kind == kind)
                is { Kind: not null } s ? s.Seconds : Alerts.Defaults.Single(d => d.Kind == kind).Threshold));
            var (waiting, vip) = (Of("waiting"), Of("vip_waiting"));
            return new AlertThresholds(Of("first_response"), waiting < vip ? waiting : vip, hours[b], teamHours);
        });
    }

    /// <summary>The alert kinds that no longer hold for this state.</summary>
    public static string[] Over(ConversationState s) =>
    [
        .. IsWaiting(s) ? Array.Empty<string>() : ["waiting", "vip_waiting"],
        .. ConversationRules.AwaitingFirstResponse(s) ? Array.Empty<string>() : ["first_response"],
    ];

    /// <summary>
    /// Clears, in the batch, the open alerts of the conversations whose decisions assigned, answered or resolved them
    /// and that no longer hold — with their <c>alert.cleared</c> events and deliveries. A conversation without an open
    /// alert costs one index probe.
    /// </summary>
    public static void AppendClears(NpgsqlBatch batch, IEnumerable<Decision<ConversationState>> decisions,
        DateTimeOffset now)
    {
        var over = decisions
            .Where(d => d.Events.Any(e => e.Type is ConversationEvents.Assigned or ConversationEvents.HumanReplied
                or ConversationEvents.Resolved))
            .Select(d => (d.State.Id, Kinds: Over(d.State))).Where(x => x.Kinds.Length > 0).ToList();
        if (over.Count == 0) return;
        var cmd = new NpgsqlBatchCommand($"""
            with cleared as (
                update alerts a set cleared_at = @now
                  from unnest(@ids, @kinds) as u(id, kinds)
                 where a.subject_id = u.id and a.kind = any(string_to_array(u.kinds, ',')) and a.cleared_at is null
                returning a.id, a.business_id, a.kind, a.subject_id),
            e as (
                insert into entity_events (business_id, entity_type, entity_id, type, occurred_at, data)
                select business_id, '{EntityType}', id, 'alert.cleared', @now,
                       jsonb_build_object('alertId', id, 'kind', kind, 'subjectId', subject_id)
                  from cleared order by id
                returning id, business_id, entity_id, type)
            {Effects.DeliverEvents}
            """);
        cmd.Parameters.Add(new NpgsqlParameter("now", now));
        cmd.Parameters.Add(new NpgsqlParameter("ids", over.Select(x => x.Id).ToArray()));
        cmd.Parameters.Add(new NpgsqlParameter("kinds", over.Select(x => string.Join(',', x.Kinds)).ToArray()));
        batch.BatchCommands.Add(cmd);
    }
}
