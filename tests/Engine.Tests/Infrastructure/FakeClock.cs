namespace Engine.Tests.Infrastructure;

/// <summary>A clock the test moves by hand: every rule with minutes or hours in it is tested by advancing it, never by sleeping.</summary>
public sealed class FakeClock(DateTimeOffset start) : TimeProvider, Engine.Silo.Runtime.IAdjustableClock
{
    private DateTimeOffset _now = start;
    private readonly Lock _lock = new();

    public FakeClock() : this(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero)) { }

    public override DateTimeOffset GetUtcNow() { lock (_lock) return _now; }

    public void Advance(TimeSpan by) { lock (_lock) _now += by; }

    public void Set(DateTimeOffset to) { lock (_lock) _now = to; }
}
