using System.Globalization;

namespace Engine.Grains.Automation;

/// <summary>One opening interval in local time; To ≤ From means it runs past midnight.</summary>
public sealed record OpeningInterval(TimeOnly From, TimeOnly To);

/// <summary>
/// A business's weekly calendar (several intervals a day), holidays, and IANA time zone. "Offline"
/// is derived from it; by default open 08:00–22:00 every day, so offline is 22:00–08:00.
/// </summary>
public sealed record BusinessHours(string TimeZone, IReadOnlyDictionary<DayOfWeek, IReadOnlyList<OpeningInterval>> Week, IReadOnlySet<DateOnly> Holidays)
{
    public static BusinessHours Default(string timeZone) => new(timeZone,
        Enum.GetValues<DayOfWeek>().ToDictionary(d => d, _ => (IReadOnlyList<OpeningInterval>)[new(new TimeOnly(8, 0), new TimeOnly(22, 0))]),
        new HashSet<DateOnly>());

    private TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    public DateTime Local(DateTimeOffset utc) => TimeZoneInfo.ConvertTime(utc, Zone).DateTime;

    public bool IsOpen(DateTimeOffset utc)
    {
        var local = Local(utc);
        var day = DateOnly.FromDateTime(local);
        var time = TimeOnly.FromDateTime(local);
        // Today's intervals, and yesterday's that run past midnight.
        if (!Holidays.Contains(day) && Intervals(day).Any(i => i.To > i.From ? time >= i.From && time < i.To : time >= i.From))
            return true;
        var yesterday = day.AddDays(-1);
        return !Holidays.Contains(yesterday) && Intervals(yesterday).Any(i => i.To <= i.From && time < i.To);
    }

    /// <summary>When the business next opens (local time), or null when the calendar never opens in the next two weeks.</summary>
    public DateTime? NextOpening(DateTimeOffset utc)
    {
        var local = Local(utc);
        for (var d = 0; d < 15; d++)
        {
            var day = DateOnly.FromDateTime(local).AddDays(d);
            if (Holidays.Contains(day)) continue;
            foreach (var i in Intervals(day).OrderBy(i => i.From))
            {
                var start = day.ToDateTime(i.From);
                if (start > local) return start;
            }
        }
        return null;
    }

    /// <summary>When the business next opens, as an instant: <see cref="NextOpening"/> in UTC.</summary>
    public DateTimeOffset? NextOpeningUtc(DateTimeOffset utc) => NextOpening(utc) is { } local ? Utc(local) : null;

    /// <summary>The open time between two instants: what first response and waiting count (business time).</summary>
    public TimeSpan OpenTimeBetween(DateTimeOffset from, DateTimeOffset to)
    {
        var open = TimeSpan.Zero;
        foreach (var (start, end) in OpenSpans(from, to))
            open += (end < to ? end : to) - (start > from ? start : from);
        return open;
    }

    /// <summary>
    /// The instant at which <paramref name="open"/> of open time has passed since <paramref name="from"/>: when a
    /// business-time threshold is reached. A calendar that never opens counts wall time (nothing would ever be due).
    /// </summary>
    public DateTimeOffset AfterOpenTime(DateTimeOffset from, TimeSpan open)
    {
        var left = open;
        foreach (var (start, end) in OpenSpans(from, from.AddDays(400)))
        {
            var s = start > from ? start : from;
            if (end - s >= left) return s + left;
            left -= end - s;
        }
        return from + open;
    }

    /// <summary>The opening intervals that overlap [from, to), as UTC instants, in order (a holiday closes the intervals
    /// that start on it, as <see cref="IsOpen"/> does).</summary>
    private IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> OpenSpans(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from) yield break;
        var first = DateOnly.FromDateTime(Local(from)).AddDays(-1);
        var last = DateOnly.FromDateTime(Local(to));
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            if (Holidays.Contains(day)) continue;
            foreach (var i in Intervals(day).OrderBy(i => i.From))
            {
                var start = Utc(day.ToDateTime(i.From));
                var end = Utc((i.To > i.From ? day : day.AddDays(1)).ToDateTime(i.To));
                if (end > from && start < to) yield return (start, end);
            }
        }
    }

    /// <summary>A local wall time as an instant; a time skipped by a daylight-saving change counts from the change.</summary>
    private DateTimeOffset Utc(DateTime local)
    {
        var zone = Zone;
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(15);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, zone), TimeSpan.Zero);
    }

    /// <summary>"Mon–Sun 08:00–22:00" style text for notices.</summary>
    public string Describe()
    {
        var days = Enum.GetValues<DayOfWeek>().Skip(1).Append(DayOfWeek.Sunday);
        return string.Join("; ", days.Select(d => $"{CultureInfo.InvariantCulture.DateTimeFormat.GetAbbreviatedDayName(d)} " +
            (Intervals(d) is { Count: > 0 } list ? string.Join(", ", list.Select(i => $"{i.From:HH\\:mm}–{i.To:HH\\:mm}")) : "closed")));
    }

    private IReadOnlyList<OpeningInterval> Intervals(DateOnly day) => Intervals(day.DayOfWeek);
    private IReadOnlyList<OpeningInterval> Intervals(DayOfWeek day) => Week.TryGetValue(day, out var list) ? list : [];
}
