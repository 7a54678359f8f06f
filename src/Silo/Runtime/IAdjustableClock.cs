namespace Engine.Silo.Runtime;

/// <summary>A clock that can be moved forward: only the test environment registers one (see the test-only clock endpoint).</summary>
public interface IAdjustableClock
{
    void Advance(TimeSpan by);
}
