using Engine.Grains.Assignment;
using Engine.Grains.Interfaces.Conversations;

namespace Engine.Tests.Grains.Team;

public class AssignmentRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private static AgentCandidate Agent(int n, string presence = "online", int activeMinutesAgo = 1, int load = 0, int capacity = 5,
        string[]? skills = null, string[]? languages = null, string tier = "frontline", int assignedMinutesAgo = 60) =>
        new(new Guid($"00000000-0000-0000-0000-{n:000000000000}"), presence, Now.AddMinutes(-activeMinutesAgo), load, capacity,
            skills ?? [], languages ?? ["en"], tier, Now.AddMinutes(-assignedMinutesAgo));

    private static AssignmentRequest Request(string strategy, string[]? skills = null, string? language = null, string? tier = null,
        Guid? dedicated = null, Guid? last = null, DateTimeOffset? served = null) =>
        new(strategy, skills ?? [], language, tier, dedicated, last, served);

    private static int? Chosen(AssignmentRequest r, params AgentCandidate[] agents) =>
        AssignmentRules.Choose(r, agents, [], Now) is { } c ? int.Parse(c.AgentId.ToString()[^12..]) : null;

    [Theory]
    [InlineData(0, 5, true)]
    [InlineData(3, 5, true)]   // 3/5 = 60%
    [InlineData(4, 5, false)]  // 4/5 = 80%: no new automatic assignment
    [InlineData(7, 10, true)]
    [InlineData(8, 10, false)]
    [InlineData(0, 1, true)]   // a one-seat agent takes one
    [InlineData(1, 1, false)]
    public void The_80_percent_rule(int load, int capacity, bool takes) =>
        Assert.Equal(takes, AssignmentRules.UnderAutoLimit(load, capacity));

    [Fact]
    public void An_escalated_conversation_goes_to_its_dedicated_or_sticky_agent_only_at_the_required_tier()
    {
        var frontline = Agent(1);
        var senior = Agent(2, tier: "senior", assignedMinutesAgo: 1);
        var ids = (Front: frontline.Id, Senior: senior.Id);
        Assert.Equal(2, Chosen(Request(Strategies.LeastOpen, tier: "senior", dedicated: ids.Front), frontline, senior));
        Assert.Equal(2, Chosen(Request(Strategies.LeastOpen, tier: "senior", last: ids.Front, served: Now.AddHours(-1)), frontline, senior));
        Assert.Equal(1, Chosen(Request(Strategies.LeastOpen, dedicated: ids.Front), frontline, senior));   // not escalated
        var supervisor = Agent(3, tier: "supervisor", assignedMinutesAgo: 0);   // the strategy alone would pick the senior
        Assert.Equal(3, Chosen(Request(Strategies.RoundRobinOnline, tier: "senior", dedicated: supervisor.Id), frontline, senior, supervisor));
    }

    [Fact]
    public void Online_means_status_online_and_activity_in_the_last_5_minutes()
    {
        Assert.True(AssignmentRules.IsOnline(Agent(1, activeMinutesAgo: 4), Now));
        Assert.False(AssignmentRules.IsOnline(Agent(1, activeMinutesAgo: 5), Now));
        Assert.False(AssignmentRules.IsOnline(Agent(1, presence: "away"), Now));
        Assert.False(AssignmentRules.IsOnline(Agent(1, presence: "busy"), Now));
    }

    [Fact]
    public void Least_open_picks_the_online_agent_with_the_fewest_conversations()
    {
        Assert.Equal(2, Chosen(Request(Strategies.LeastOpen), Agent(1, load: 2), Agent(2, load: 1), Agent(3, load: 0, presence: "offline")));
    }

    [Fact]
    public void Round_robin_online_rotates_among_online_agents_by_who_was_assigned_longest_ago()
    {
        Assert.Equal(3, Chosen(Request(Strategies.RoundRobinOnline),
            Agent(1, assignedMinutesAgo: 5), Agent(2, assignedMinutesAgo: 90, activeMinutesAgo: 30), Agent(3, assignedMinutesAgo: 40)));
    }

    [Fact]
    public void Plain_round_robin_also_deals_to_agents_who_are_away()
    {
        Assert.Equal(2, Chosen(Request(Strategies.RoundRobin), Agent(1, assignedMinutesAgo: 5), Agent(2, presence: "away", assignedMinutesAgo: 90)));
        Assert.Null(Chosen(Request(Strategies.RoundRobin), Agent(1, presence: "offline")));
    }

    [Fact]
    public void Manual_teams_get_no_automatic_assignment() =>
        Assert.Null(Chosen(Request(Strategies.Manual), Agent(1)));

    [Fact]
    public void Agents_at_the_limit_are_skipped()
    {
        Assert.Equal(2, Chosen(Request(Strategies.LeastOpen), Agent(1, load: 4), Agent(2, load: 3)));
        Assert.Null(Chosen(Request(Strategies.LeastOpen), Agent(1, load: 4), Agent(2, load: 5)));
    }

    [Fact]
    public void Required_skills_language_and_tier_filter_the_candidates()
    {
        var logistics = Agent(1, skills: ["logistics"], languages: ["th"]);
        var tech = Agent(2, skills: ["technical"], languages: ["en"], load: 0);
        Assert.Equal(1, Chosen(Request(Strategies.LeastOpen, skills: ["logistics"]), tech, logistics));
        Assert.Equal(2, Chosen(Request(Strategies.LeastOpen, language: "en"), logistics, tech));
        Assert.Null(Chosen(Request(Strategies.LeastOpen, skills: ["billing"]), logistics, tech));
        Assert.Equal(3, Chosen(Request(Strategies.LeastOpen, tier: "senior"), Agent(1), Agent(3, tier: "senior", load: 3)));
        Assert.Equal(4, Chosen(Request(Strategies.LeastOpen, tier: "senior"), Agent(1), Agent(4, tier: "supervisor")));
    }

    [Theory]
    [InlineData(71 * 60 + 59, true)]
    [InlineData(72 * 60 + 1, false)]
    public void A_customer_returning_within_72_hours_goes_back_to_their_last_agent(int minutesAgo, bool sticky)
    {
        var last = Agent(1, load: 3);  // would not be least-open's choice
        var other = Agent(2, load: 0);
        var choice = AssignmentRules.Choose(Request(Strategies.LeastOpen, last: last.Id, served: Now.AddMinutes(-minutesAgo)), [last, other], [], Now)!;
        Assert.Equal(sticky ? last.Id : other.Id, choice.AgentId);
        Assert.Equal(sticky ? "sticky" : "auto", choice.Via);
    }

    [Fact]
    public void Stickiness_yields_when_the_last_agent_is_offline_or_at_the_limit()
    {
        var served = Now.AddHours(-1);
        Assert.Equal(2, Chosen(Request(Strategies.LeastOpen, last: Agent(1).Id, served: served), Agent(1, presence: "offline"), Agent(2)));
        Assert.Equal(2, Chosen(Request(Strategies.LeastOpen, last: Agent(1).Id, served: served), Agent(1, load: 4), Agent(2, load: 2)));
    }

    [Fact]
    public void A_vips_dedicated_agent_comes_first_even_from_outside_the_team()
    {
        var dedicated = Agent(9, load: 2);
        var choice = AssignmentRules.Choose(Request(Strategies.LeastOpen, dedicated: dedicated.Id), [Agent(1)], [dedicated], Now)!;
        Assert.Equal((dedicated.Id, "dedicated"), (choice.AgentId, choice.Via));
    }

    [Fact]
    public void Load_is_shown_as_load_over_capacity() => Assert.Equal("3/5", AssignmentRules.LoadText(3, 5));
}
