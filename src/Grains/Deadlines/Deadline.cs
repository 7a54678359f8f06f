namespace Engine.Grains.Deadlines;

/// <summary>One pending deadline of an entity, as stored with the decision that set it; the generation fences a stale firing.</summary>
public sealed record Deadline(string EntityType, string Kind, DateTimeOffset DueAt, long Generation);

/// <summary>Where a deadline owner reads its deadlines and fires one (the Silo implements it on PostgreSQL).</summary>
public interface IDeadlineStore
{
    Task<IReadOnlyList<Deadline>> LoadAsync(Guid entityId, IReadOnlyList<string> entityTypes, CancellationToken ct);

    /// <summary>Fires the deadline in one transaction if it is still the current generation; false when it was rescheduled, cancelled or already fired.</summary>
    Task<bool> FireAsync(Guid entityId, Deadline deadline, CancellationToken ct);
}

/// <summary>When a deadline owner must be woken, and by what.</summary>
public static class DeadlinePlan
{
    /// <summary>
    /// Deadlines closer than this are also covered by a reminder, so they are met within a minute on a surviving silo
    /// after a crash. Farther ones (a response window of 24–48 h) are met by the grain timer while the grain is active
    /// and otherwise by the silos' once-a-minute sweep of overdue deadlines, without a reminder write per conversation.
    /// </summary>
    public static readonly TimeSpan ReminderHorizon = TimeSpan.FromMinutes(15);

    /// <summary>The reminder's period (Orleans' minimum is one minute).</summary>
    public static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    public static IEnumerable<Deadline> Due(IEnumerable<Deadline> deadlines, DateTimeOffset now) =>
        deadlines.Where(d => d.DueAt <= now).OrderBy(d => d.DueAt);

    public static DateTimeOffset? Next(IEnumerable<Deadline> deadlines) =>
        deadlines.Select(d => (DateTimeOffset?)d.DueAt).Min();

    public static bool NeedsReminder(DateTimeOffset? next, DateTimeOffset now) => next is { } at && at - now <= ReminderHorizon;

    /// <summary>Whether a newly committed deadline must wake its owner now rather than wait for the sweep.</summary>
    public static bool WakesOwner(DateTimeOffset dueAt, DateTimeOffset now) => dueAt - now <= ReminderHorizon;
}
