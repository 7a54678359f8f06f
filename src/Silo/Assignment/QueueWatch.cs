using Engine.Grains.Assignment;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Alerts;
using Engine.Silo.Automation;
using Engine.Silo.Conversations;
using Engine.Silo.Runtime;
using Npgsql;

namespace Engine.Silo.Assignment;

/// <summary>
/// A waiting conversation's queue checks, deadlines in its state armed when it enters a queue. Outside its team's hours
/// (the team's own, or the business's) the queue does not offer (<see cref="AssignmentService.OffersNowAsync"/>): the opening check drains the team's
/// queue when the hours open — once per team and opening, however many conversations waited for it — so the offers
/// happen then without a new customer message. The update check re-tells the customer their place while it is open
/// (<see cref="QueueNotice"/>).
/// </summary>
public static class QueueWatch
{
    public static ConversationState Arm(ConversationState s, IEnumerable<DomainEvent> events,
        IReadOnlyDictionary<Guid, AlertThresholds> thresholds)
    {
        var deadlines = s.Deadlines;
        foreach (var e in events.Where(e => e.Type == ConversationEvents.Queued))
        {
            var hours = thresholds[s.BusinessId].HoursFor(s.TeamId);
            var opens = hours.IsOpen(e.At) ? e.At : hours.NextOpeningUtc(e.At);
            if (opens is not { } at) continue;   // a calendar that never opens: claims and supervisors only
            if (at > e.At) deadlines = deadlines.SetItem(ConversationTimers.QueueOpening, at);
            deadlines = deadlines.SetItem(ConversationTimers.QueueUpdate, at + QueueNotice.MinInterval);
        }
        return ReferenceEquals(deadlines, s.Deadlines) ? s : s with { Deadlines = deadlines };
    }

    /// <summary>A queue check is due (in the grain's firing transaction). Returns when to check again, or null.</summary>
    public static async Task<DateTimeOffset?> CheckAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        ConversationState s, string kind, DateTimeOffset due, DateTimeOffset now, Effects effects, CancellationToken ct)
    {
        if (!s.IsQueued) return null;
        var hours = await AutomationStore.HoursForAsync(conn, tx, s.BusinessId, s.TeamId, ct);
        if (!hours.IsOpen(now))   // the hours changed since it was armed: wait for the new opening
            return hours.NextOpeningUtc(now) is { } opens
                ? opens + (kind == ConversationTimers.QueueUpdate ? QueueNotice.MinInterval : TimeSpan.Zero) : null;
        var team = s.TeamId!.Value;
        var intent = kind switch
        {
            ConversationTimers.QueueOpening => new OutboxIntent(AssignmentTriggers.DrainTopic,
                $"drain:{team}:opening:{due.UtcTicks}", new { TeamId = team }),
            ConversationTimers.QueueUpdate => Notices.Update(s.Id, now),
            _ => throw new InvalidOperationException($"No queue check '{kind}'."),
        };
        effects.Add(ConversationStore.EntityType, s.Id, s.BusinessId, new Decision<int>(0, [], [], [intent]), now);
        return kind == ConversationTimers.QueueUpdate ? now + QueueNotice.MinInterval : null;
    }
}
