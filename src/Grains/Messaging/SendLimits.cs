using Engine.Grains.Interfaces.Customers;

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

    /// <summary>
    /// When the next send to one recipient may go: the provider's pair limit always, and at most
    /// <see cref="RecipientLimits.NewCustomerSendsPerMinute"/> a minute while the customer is new (first wrote within
    /// <see cref="RecipientLimits.NewCustomerAge"/>); returning customers have no such limit.
    /// </summary>
    public static DateTimeOffset? RecipientWaitUntil(IEnumerable<DateTimeOffset> recentSends, RecipientLimits l,
        DateTimeOffset now)
    {
        var recent = recentSends as IReadOnlyCollection<DateTimeOffset> ?? recentSends.ToList();
        var isNew = now - l.FirstSeen < l.NewCustomerAge;
        return Latest(
            WaitUntil(recent, l.PairLimit, l.PairWindow, now),
            isNew ? WaitUntil(recent, l.NewCustomerSendsPerMinute, TimeSpan.FromMinutes(1), now) : null);
    }

    /// <summary>How far back a recipient's sends still count.</summary>
    public static TimeSpan RecipientLookBack(RecipientLimits l) =>
        l.PairWindow > TimeSpan.FromMinutes(1) ? l.PairWindow : TimeSpan.FromMinutes(1);

    /// <summary>The later of several waits, or null when none applies.</summary>
    public static DateTimeOffset? Latest(params DateTimeOffset?[] waits) =>
        waits.Where(w => w is not null).Select(w => w!.Value).DefaultIfEmpty().Max() is var max && max == default ? null : max;
}
