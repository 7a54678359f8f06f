namespace Engine.Grains.Messaging;

/// <summary>
/// Sliding-window send limits: at most <c>limit</c> sends in any <c>window</c>. Used for the
/// provider's per-recipient pair limit and the product rule of at most 5 messages a minute to a new
/// customer. A message over a limit waits (never dropped) until the oldest counted send leaves the window.
/// </summary>
public static class SendLimits
{
    /// <summary>Null when a send is allowed now; otherwise the earliest time it is.</summary>
    public static DateTimeOffset? WaitUntil(IEnumerable<DateTimeOffset> recentSends, int limit, TimeSpan window, DateTimeOffset now)
    {
        var inWindow = recentSends.Where(t => t > now - window && t <= now).OrderByDescending(t => t).ToList();
        if (inWindow.Count < limit) return null;
        return inWindow[limit - 1] + window;
    }

    /// <summary>The later of several waits, or null when none applies.</summary>
    public static DateTimeOffset? Latest(params DateTimeOffset?[] waits) =>
        waits.Where(w => w is not null).Select(w => w!.Value).DefaultIfEmpty().Max() is var max && max == default ? null : max;
}
