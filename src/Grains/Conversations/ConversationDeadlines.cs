using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;

namespace Engine.Grains.Conversations;

/// <summary>How decisions change a conversation's pending deadlines, which are part of its state.</summary>
public static class ConversationDeadlines
{
    /// <summary>The state with the decision's timer intents applied: a schedule sets (or moves) the kind's deadline, a
    /// cancel removes it.</summary>
    public static ConversationState Apply(ConversationState state, IEnumerable<TimerIntent> timers)
    {
        var deadlines = state.Deadlines;
        foreach (var t in timers)
            deadlines = t.DueAt is { } due ? deadlines.SetItem(t.Kind, Stored(due)) : deadlines.Remove(t.Kind);
        return ReferenceEquals(deadlines, state.Deadlines) ? state : state with { Deadlines = deadlines };
    }

    /// <summary>
    /// Fires the conversation's own deadlines among <paramref name="due"/> (soonest first) through
    /// <see cref="ConversationRules.TimerDue"/>: the decision's state no longer holds any of <paramref name="due"/>, and a
    /// deadline that an earlier one of the same firing moved or cancelled (idle release cancels the lock's expiry) does
    /// not fire. The checks among them (alerts, the queue's) are left to the caller, on the decision's state. Each step that changed the
    /// state is returned with the state before and after it.
    /// </summary>
    public static (Decision<ConversationState> Decision, IReadOnlyList<(string Kind, ConversationState Before,
        ConversationState After)> Steps) Fire(
        ConversationState state, IReadOnlyList<string> due, LockPolicy locks, DateTimeOffset now)
    {
        var decision = Decision<ConversationState>.Unchanged(state with { Deadlines = state.Deadlines.RemoveRange(due) })
            with { Changed = true };
        var steps = new List<(string, ConversationState, ConversationState)>();
        foreach (var kind in due.Where(k => !ConversationTimers.IsCheck(k)))
        {
            if (decision.Timers.Any(t => t.Kind == kind)) continue;
            var fired = ConversationRules.TimerDue(decision.State, kind, locks, now);
            if (!fired.Changed) continue;
            steps.Add((kind, decision.State, fired.State));
            decision = decision.Then(fired);
        }
        return (decision, steps);
    }

    /// <summary>
    /// The database keeps microseconds: a deadline is kept rounded up to one, so it never falls before the moment its
    /// rule compares with (a lock's end, a window's close, stored rounded to the nearest microsecond).
    /// </summary>
    public static DateTimeOffset Stored(DateTimeOffset at) =>
        at.Ticks % 10 is var rest && rest == 0 ? at : at.AddTicks(10 - rest);
}
