using Engine.Grains.Reports;

namespace Engine.Tests.Grains.Reports;

/// <summary>Erlang C against published worked examples.</summary>
public class ErlangCTests
{
    // Call Centre Helper's example: 100 contacts in 30 minutes, 180 s handling, 80% answered within 20 s → 10 Erlangs;
    // 13 agents reach 79.6%, 14 agents 88.8%, so 14 are needed.
    [Fact]
    public void Ten_erlangs_need_fourteen_agents_for_80_percent_in_20_seconds()
    {
        Assert.Equal(0.7956, ErlangC.ServiceLevel(13, 10, 180, 20), 4);
        Assert.Equal(0.8884, ErlangC.ServiceLevel(14, 10, 180, 20), 4);
        Assert.Equal(14, ErlangC.AgentsNeeded(200, 180, 20, 0.8));
        Assert.Equal(0.2853, ErlangC.ProbabilityOfWaiting(13, 10), 4);
    }

    // The step-by-step Erlang-C example: 360 calls per half hour, 4 minutes each (48 Erlangs), 55 agents, 15 s target:
    // probability of waiting 23.9%, average speed of answer 8.2 s, service level 84.6%.
    [Fact]
    public void Forty_eight_erlangs_on_fifty_five_agents()
    {
        Assert.Equal(0.2387, ErlangC.ProbabilityOfWaiting(55, 48), 4);
        Assert.Equal(8.18, ErlangC.AverageSpeedOfAnswer(55, 48, 240), 2);
        Assert.Equal(0.8459, ErlangC.ServiceLevel(55, 48, 240, 15), 4);
    }

    [Fact]
    public void Overload_and_no_traffic_are_handled()
    {
        Assert.Equal(1, ErlangC.ProbabilityOfWaiting(10, 10));
        Assert.Equal(0, ErlangC.ServiceLevel(5, 10, 180, 20));
        Assert.Equal(0, ErlangC.AgentsNeeded(0, 180, 20, 0.9));
        // More agents never lower the service level, and the answer is the first that meets the target.
        var n = ErlangC.AgentsNeeded(1000, 300, 180, 0.9);
        var traffic = 1000 / 3600.0 * 300;
        Assert.True(ErlangC.ServiceLevel(n, traffic, 300, 180) >= 0.9);
        Assert.True(ErlangC.ServiceLevel(n - 1, traffic, 300, 180) < 0.9);
    }
}
