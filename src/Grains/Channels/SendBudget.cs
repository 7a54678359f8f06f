namespace Engine.Grains.Channels;

/// <summary>
/// The number's per-second send budget (WhatsApp Cloud API: 80 messages per second by default, up to 1,000; see the
/// channel's <c>rateLimitPerSecond</c>): at most <c>limit</c> sends in each clock second, the rest wait for the next.
/// </summary>
public sealed record SendBudget(long Second, int Taken)
{
    public static readonly SendBudget Empty = new(long.MinValue, 0);

    /// <summary>The budget after one more send is asked for now, whether it was granted, and when to ask again if
    /// not.</summary>
    public (SendBudget Next, bool Granted, TimeSpan RetryAfter) Take(DateTimeOffset now, int limit)
    {
        var second = now.ToUnixTimeSeconds();
        var current = second == Second ? this : new SendBudget(second, 0);
        if (current.Taken < limit) return (current with { Taken = current.Taken + 1 }, true, TimeSpan.Zero);
        var untilNextSecond = TimeSpan.FromTicks(TimeSpan.TicksPerSecond - now.UtcTicks % TimeSpan.TicksPerSecond);
        return (current, false, untilNextSecond);
    }
}
