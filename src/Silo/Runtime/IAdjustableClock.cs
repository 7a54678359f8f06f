namespace Engine.Silo.Runtime;

/// <summary>A clock that can be moved forward: only the Testing environment has one (the test-only clock
/// endpoint).</summary>
public interface IAdjustableClock
{
    void Advance(TimeSpan by);
}

/// <summary>
/// The Testing environment's clock for whole engine processes: real time plus an offset that
/// <c>POST /test/clock/advance</c> moves forward, so a test driving separate processes (the crash test) can make
/// minutes pass at once while everything else keeps running in real time.
/// </summary>
public sealed class OffsetClock : TimeProvider, IAdjustableClock
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}
