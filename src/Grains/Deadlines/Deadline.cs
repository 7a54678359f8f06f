using Engine.Grains.Interfaces.Conversations;

namespace Engine.Grains.Deadlines;

/// <summary>One pending deadline of an entity, as stored with the decision that set it; the generation fences a stale
/// firing.</summary>
public sealed record Deadline(string EntityType, string Kind, DateTimeOffset DueAt, long Generation);

/// <summary>Where a deadline owner reads its deadlines and fires one (the Silo implements it on PostgreSQL).</summary>
public interface IDeadlineStore
{
    Task<IReadOnlyList<Deadline>> LoadAsync(Guid entityId, IReadOnlyList<string> entityTypes, CancellationToken ct);

    /// <summary>Fires the deadline in one transaction if it is still the current generation; false when it was
    /// rescheduled, cancelled or already fired.</summary>
    Task<bool> FireAsync(Guid entityId, Deadline deadline, CancellationToken ct);
}

/// <summary>When a deadline owner must be woken, and by what.</summary>
public static class DeadlinePlan
{
    /// <summary>
    /// A lock's deadlines (expiry, idle release) wake their grain at commit, so its timer meets them to the second,
    /// and while one is closer than this the grain also holds a reminder, so a lock held on a crashed silo is released
    /// within a minute on a surviving one.
    /// </summary>
    public static readonly TimeSpan ReminderHorizon = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Any other deadline wakes its grain at commit only when it is due this soon. The rest (alert checks 30 s to
    /// 5 min away, the 24–48 h response window, the daily checks) are fired by the silos' sweep of overdue deadlines
    /// every <see cref="SweepEvery"/>, or by the grain's timer when it is active anyway: waking a grain for every new
    /// conversation cost about a fifth of the ingest throughput (scripts/bench.sh).
    /// </summary>
    public static readonly TimeSpan WakeHorizon = TimeSpan.FromSeconds(10);

    /// <summary>How often every silo sweeps overdue deadlines into their grains: how late a deadline without a wake-up
    /// can be.</summary>
    public static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(5);

    /// <summary>The deadlines a reminder backs: a person is locked out of a conversation until they pass.</summary>
    public static readonly IReadOnlySet<string> RemindedKinds =
        new HashSet<string> { ConversationTimers.LockExpiry, ConversationTimers.IdleRelease };

    /// <summary>The reminder's period (Orleans' minimum is one minute).</summary>
    public static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    public static IEnumerable<Deadline> Due(IEnumerable<Deadline> deadlines, DateTimeOffset now) =>
        deadlines.Where(d => d.DueAt <= now).OrderBy(d => d.DueAt);

    public static DateTimeOffset? Next(IEnumerable<Deadline> deadlines) =>
        deadlines.Select(d => (DateTimeOffset?)d.DueAt).Min();

    public static bool NeedsReminder(IEnumerable<Deadline> deadlines, DateTimeOffset now) =>
        deadlines.Any(d => RemindedKinds.Contains(d.Kind) && d.DueAt - now <= ReminderHorizon);

    /// <summary>Whether a newly committed deadline must wake its owner now rather than wait for the sweep.</summary>
    public static bool WakesOwner(string kind, DateTimeOffset dueAt, DateTimeOffset now) =>
        RemindedKinds.Contains(kind) ? dueAt - now <= ReminderHorizon : dueAt - now <= WakeHorizon;
}
