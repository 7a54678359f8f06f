namespace Engine.Silo.Reports;

/// <summary>How every report reads its period and rounds its shares.</summary>
public static class ReportPeriod
{
    /// <summary>[from, to): without <paramref name="to"/> the period runs up to and including now; without <paramref name="from"/> it is the last <paramref name="defaultDays"/> days.</summary>
    public static (DateTimeOffset From, DateTimeOffset To) Resolve(DateTimeOffset? from, DateTimeOffset? to, DateTimeOffset now, int defaultDays)
    {
        var end = to ?? now.AddSeconds(1);
        return (from ?? end.AddDays(-defaultDays), end);
    }

    /// <summary>part ÷ whole to four decimals; null when there is nothing to divide by.</summary>
    public static decimal? Ratio(int part, int whole) => whole == 0 ? null : Math.Round((decimal)part / whole, 4);
}
