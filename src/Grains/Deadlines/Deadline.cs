using System.Collections.Immutable;
using Engine.Grains.Interfaces.Conversations;

namespace Engine.Grains.Deadlines;

/// <summary>What a firing did: how many deadlines fired, and the entity's deadlines still pending after it.</summary>
public sealed record DeadlineFiring(int Fired, ImmutableSortedDictionary<string, DateTimeOffset> Pending)
{
    public static readonly DeadlineFiring None = new(0, ImmutableSortedDictionary<string, DateTimeOffset>.Empty);
}

/// <summary>
/// Where a deadline owner fires its deadlines. The deadlines are part of the entity's persisted state (the Silo
/// implements this on PostgreSQL): a firing takes every deadline due now, applies its rule and writes the state back
/// in one transaction fenced by the state's version, so a deadline fires once however many times it is delivered.
/// </summary>
public interface IDeadlineStore
{
    Task<DeadlineFiring> FireDueAsync(Guid entityId, CancellationToken ct);
}

/// <summary>A conversation's deadlines: its lock's, its response window's and its alert checks.</summary>
public interface IConversationDeadlines : IDeadlineStore;

/// <summary>A business's daily checks at local midnight.</summary>
public interface IBusinessDeadlines : IDeadlineStore;

/// <summary>When a deadline owner must be woken, and by what.</summary>
public static class DeadlinePlan
{
    /// <summary>
    /// While a lock's deadline (expiry, idle release) is closer than this, the grain holds a reminder, so a lock held on
    /// a crashed silo is released within a minute on a surviving one. The grain's timer meets it to the second while
    /// the grain is active; a command that changes the lock re-arms both in its own turn.
    /// </summary>
    public static readonly TimeSpan ReminderHorizon = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How often every silo sweeps the deadlines that are overdue into their grains: how late a deadline can be when
    /// its grain was not active to time it (the alert checks, the response window and the daily checks of a
    /// conversation whose grain is collected or lost in a crash, and those written by another grain's commit).
    /// </summary>
    public static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(5);

    /// <summary>The deadlines a reminder backs: a person is locked out of a conversation until they pass.</summary>
    public static readonly IReadOnlySet<string> RemindedKinds =
        new HashSet<string> { ConversationTimers.LockExpiry, ConversationTimers.IdleRelease };

    /// <summary>The reminder's period (Orleans' minimum is one minute).</summary>
    public static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    /// <summary>The kinds due now, soonest first.</summary>
    public static IReadOnlyList<string> Due(IReadOnlyDictionary<string, DateTimeOffset> deadlines, DateTimeOffset now) =>
        deadlines.Where(d => d.Value <= now).OrderBy(d => d.Value).ThenBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => d.Key).ToList();

    public static DateTimeOffset? Next(IReadOnlyDictionary<string, DateTimeOffset> deadlines) =>
        deadlines.Count == 0 ? null : deadlines.Values.Min();

    public static bool NeedsReminder(IReadOnlyDictionary<string, DateTimeOffset> deadlines, DateTimeOffset now) =>
        deadlines.Any(d => RemindedKinds.Contains(d.Key) && d.Value - now <= ReminderHorizon);
}
