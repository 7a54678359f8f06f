namespace Engine.Grains.Reports;

/// <summary>
/// Erlang C: conversations arriving at random (Poisson) to <c>agents</c> people who each take one at a time with
/// exponentially distributed handling. Traffic A = arrivals per second × mean handling seconds (in Erlangs).
/// </summary>
public static class ErlangC
{
    /// <summary>Probability that an arrival has to wait; 1 when the agents cannot keep up (A ≥ N).</summary>
    public static double ProbabilityOfWaiting(int agents, double traffic)
    {
        if (agents <= 0 || traffic >= agents) return 1;
        if (traffic <= 0) return 0;
        // Erlang B by its recursion (stable for hundreds of agents), then C from B.
        var b = 1.0;
        for (var k = 1; k <= agents; k++) b = traffic * b / (k + traffic * b);
        return agents * b / (agents - traffic * (1 - b));
    }

    /// <summary>Share of arrivals answered within <paramref name="targetSeconds"/>.</summary>
    public static double ServiceLevel(int agents, double traffic, double handlingSeconds, double targetSeconds)
    {
        if (traffic <= 0) return 1;
        if (agents <= traffic) return 0;
        return 1 - ProbabilityOfWaiting(agents, traffic) * Math.Exp(-(agents - traffic) * targetSeconds / handlingSeconds);
    }

    /// <summary>Average wait of all arrivals, in seconds.</summary>
    public static double AverageSpeedOfAnswer(int agents, double traffic, double handlingSeconds) =>
        agents <= traffic ? double.PositiveInfinity : ProbabilityOfWaiting(agents, traffic) * handlingSeconds / (agents - traffic);

    /// <summary>
    /// The fewest agents for which at least <paramref name="serviceLevel"/> of arrivals are answered within the target;
    /// 0 when nothing arrives.
    /// </summary>
    public static int AgentsNeeded(double arrivalsPerHour, double handlingSeconds, double targetSeconds, double serviceLevel)
    {
        if (arrivalsPerHour <= 0 || handlingSeconds <= 0) return 0;
        var traffic = arrivalsPerHour / 3600 * handlingSeconds;
        var n = Math.Max(1, (int)Math.Floor(traffic) + 1);
        while (ServiceLevel(n, traffic, handlingSeconds, targetSeconds) < serviceLevel) n++;
        return n;
    }
}
