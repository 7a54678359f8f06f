using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Deadlines;
using Microsoft.Extensions.Logging;

namespace Engine.Grains.Deadlines;

/// <summary>
/// Fires an entity's deadlines, which live in its persisted state, when they fall due. While the grain is active a
/// grain timer fires the next deadline at its time; while a lock's deadline is near
/// (<see cref="DeadlinePlan.NeedsReminder"/>) a one-minute reminder is registered too, so a crash or collection
/// re-activates the grain on a surviving silo. Every firing is fenced by the state's version in the store, so a
/// repeated tick or a brief duplicate activation fires nothing twice. Activation reads nothing: the deadlines are read
/// when a tick, the sweep or a command needs them.
/// </summary>
public abstract class DeadlineOwnerGrain(IDeadlineStore store, TimeProvider clock, ILogger logger)
    : Grain, IDeadlineOwnerGrain, IRemindable
{
    private const string ReminderName = "deadlines";
    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(1);

    private IGrainTimer? _timer;
    private IGrainReminder? _reminder;
    private bool _reminderRead;

    protected Guid EntityId => GrainKeys.IdOf(this.GetPrimaryKeyString());

    /// <summary>For a command that just changed the entity's deadlines: fire what is due and re-arm, in the same
    /// turn.</summary>
    protected Task RearmAsync() => FireDueAndArmAsync(CancellationToken.None);

    public async Task<int> FireDue() => await FireDueAndArmAsync(CancellationToken.None);

    public Task ReceiveReminder(string reminderName, TickStatus status) => FireDueAndArmAsync(CancellationToken.None);

    private async Task<int> FireDueAndArmAsync(CancellationToken ct)
    {
        var firing = await store.FireDueAsync(EntityId, ct);
        await ArmAsync(firing.Pending);
        return firing.Fired;
    }

    private async Task ArmAsync(IReadOnlyDictionary<string, DateTimeOffset> deadlines)
    {
        var now = clock.GetUtcNow();
        if (DeadlinePlan.Next(deadlines) is { } at)
        {
            var dueIn = at - now < TimeSpan.Zero ? TimeSpan.Zero : at - now;
            if (dueIn > LongestTimer) dueIn = LongestTimer;
            if (_timer is null)
                _timer = this.RegisterGrainTimer(OnTimerAsync,
                    new GrainTimerCreationOptions(dueIn, Timeout.InfiniteTimeSpan) { Interleave = false });
            else _timer.Change(dueIn, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer?.Dispose();
            _timer = null;
        }

        var needsReminder = DeadlinePlan.NeedsReminder(deadlines, now);
        if (!_reminderRead)
        {
            _reminder = await this.GetReminder(ReminderName);
            _reminderRead = true;
        }
        if (needsReminder && _reminder is null)
            _reminder = await this.RegisterOrUpdateReminder(
                ReminderName, DeadlinePlan.ReminderPeriod, DeadlinePlan.ReminderPeriod);
        else if (!needsReminder && _reminder is not null)
        {
            await this.UnregisterReminder(_reminder);
            _reminder = null;
        }
    }

    private async Task OnTimerAsync(CancellationToken ct)
    {
        try { await FireDueAndArmAsync(ct); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The reminder (near deadlines) or the silos' sweep (the others) tries again.
            logger.LogWarning(e, "Firing the deadlines of {Grain} failed.", this.GetPrimaryKeyString());
        }
    }
}
