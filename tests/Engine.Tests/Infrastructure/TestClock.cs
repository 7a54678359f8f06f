using Engine.Silo.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// Tests move time with <see cref="FakeTimeProvider"/>: every rule with minutes or hours in it is tested by moving it,
/// never by sleeping. Timers created on it (grain timers) fire when it is advanced past them.
/// </summary>
public static class TestClock
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    public static FakeTimeProvider Create(DateTimeOffset? start = null) => new(start ?? Start);

    /// <summary>Puts the clock at a given time, earlier or later, without firing timers (tests that replay
    /// history).</summary>
    public static void Set(this FakeTimeProvider clock, DateTimeOffset to) => clock.AdjustTime(to);

    /// <summary>Moves the clock back (a test going back to "before" a step it set up).</summary>
    public static void Rewind(this FakeTimeProvider clock, TimeSpan by) => clock.AdjustTime(clock.GetUtcNow() - by);
}

/// <summary>What the test-only clock endpoint moves: the host's fake clock.</summary>
public sealed class AdjustableFakeClock(FakeTimeProvider clock) : IAdjustableClock
{
    public void Advance(TimeSpan by) => clock.Advance(by);
}
