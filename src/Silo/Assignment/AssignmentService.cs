using Engine.Grains.Assignment;
using Engine.Grains.Conversations;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Engine.Grains.Interfaces.Teams;
using Engine.Silo.Audit;
using Engine.Silo.Conversations;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Engine.Silo.Assignment;

/// <summary>
/// Assigns waiting conversations, in the conversation's grain as its team's queue grain asks (<see cref="TeamQueues"/>):
/// the team's grain works its queue in order, one turn at a time for the whole cluster; here the conversation's write
/// is fenced by version and a seat of the agent's capacity is held on their grain first, so no conversation goes to
/// two agents and no agent goes over a limit.
/// </summary>
public sealed class AssignmentService(
    Transactions runtime, IGrainFactory grains, TimeProvider clock, ILogger<AssignmentService> log)
{
    private sealed record Team(Guid Id, Guid BusinessId, string Strategy, string[] RequiredSkills, bool MatchLanguage);

    /// <summary>
    /// An offer, run in the conversation's grain as its team's queue grain asks: the conversation goes to the agent
    /// the rules pick (dedicated, sticky, then the team's strategy) if it still waits in <paramref name="teamId"/>'s
    /// queue and someone can take it. Returns the agent, or null while it waits.
    /// </summary>
    public Task<Guid?> OfferAsync(Guid conversationId, Guid teamId, CancellationToken ct) =>
        SeatHolds.RunAsync(grains, log, seats => runtime.CallAsync(async (conn, tx, ct2) =>
        {
            if (await LoadTeamAsync(conn, tx, teamId, ct2) is not { } team) return null;
            var conversation = await ConversationStore.LoadAsync(conn, tx, conversationId, ct2);
            return conversation is { IsQueued: true } && conversation.TeamId == teamId
                ? await TryAssignAsync(conn, tx, seats, team, conversation, ct2) : null;
        }, ct), agent => agent);

    /// <summary>Whether the team's queue offers now: within its hours (its own, or its business's; outside them
    /// conversations wait for the opening, <see cref="QueueWatch"/>), and anyone in the business could be given a
    /// conversation — a drain with nobody to give to offers nothing. Claims and a supervisor's assignment are not bound by the hours.</summary>
    public Task<bool> OffersNowAsync(Guid teamId, CancellationToken ct) =>
        runtime.CallAsync(async (conn, tx, ct2) =>
        {
            var business = (await Sql.QueryAsync(conn, tx, "select business_id from teams where id = @t", r => r.GetGuid(0),
                ct2, ("t", teamId))).SingleOrDefault();
            if (business == Guid.Empty) return false;
            var hours = await Automation.AutomationStore.HoursForAsync(conn, tx, business, teamId, ct2);
            return hours.IsOpen(clock.GetUtcNow())
                && (await CandidatesAsync(conn, tx, "u.business_id = @x", business, ct2)).Any(AssignmentRules.MightTakeMore);
        }, ct);

    /// <summary>
    /// Claim mode's commit, called by the team's queue grain (which decides which conversation): the conversation
    /// goes to
    /// the claimant if it still waits in <paramref name="team"/>'s queue, within their capacity.
    /// </summary>
    public Task ClaimAsync(Actor actor, Guid conversationId, Guid team, CancellationToken ct) =>
        SeatHolds.RunAsync(grains, log, seats => runtime.CallAsync(async (conn, tx, ct2) =>
    {
        var agent = actor.UserId ?? throw new RefusedException("user_required", "Claiming needs a signed-in agent (or an API key issued for one).");
        var before = await ConversationStore.LoadAsync(conn, tx, conversationId, ct2);
        if (before is null || before.BusinessId != actor.BusinessId) throw new RefusedException("not_found", "No such conversation.");
        if (!before.IsQueued || before.TeamId != team) throw new RefusedException("not_waiting", "The conversation is not waiting in a queue.");
        var member = await Sql.QueryAsync(conn, tx, "select 1 from team_members where user_id = @u and team_id = @t", r => r.GetInt32(0), ct2, ("u", agent), ("t", team));
        if (actor.Role == "Agent" && member.Count == 0) throw new RefusedException("not_your_team", "The conversation waits in another team's queue.");
        await CommitAssignmentAsync(conn, tx, seats, actor, before,
            ConversationRules.Assign(before, agent, "claim", clock.GetUtcNow()), AgentLoad.Limit.Capacity, ct2);
        return agent;
    }, ct), agent => agent);

    private async Task<Guid?> TryAssignAsync(NpgsqlConnection conn, NpgsqlTransaction tx, SeatHolds seats, Team team,
        ConversationState conversation, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var contact = (await Sql.QueryAsync(conn, tx, """
            select coalesce(r.language, c.language), r.dedicated_agent_id, r.last_agent_id, r.last_served_at, b.sticky_hours
              from contacts c join contacts r on r.id = coalesce(c.merged_into, c.id)
              join businesses b on b.id = c.business_id where c.id = @id
            """, r => (Language: r.NullableString(0), Dedicated: r.NullableGuid(1), Last: r.NullableGuid(2), Served: r.NullableTime(3), StickyHours: r.GetInt32(4)),
            ct, ("id", conversation.ContactId))).Single();
        // The agent it was just taken from (idle release, transfer away) is not offered it back.
        var members = (await CandidatesAsync(conn, tx, "u.id in (select user_id from team_members where team_id = @x)", team.Id, ct))
            .Where(m => m.Id != conversation.ReleasedFrom).ToList();
        var outsiderIds = new[] { contact.Dedicated, contact.Last }.OfType<Guid>()
            .Where(g => g != conversation.ReleasedFrom && members.All(m => m.Id != g)).ToArray();
        var outsiders = outsiderIds.Length == 0 ? [] : await CandidatesAsync(conn, tx, "u.id = any(@x)", outsiderIds, ct);
        var request = new AssignmentRequest(team.Strategy, team.RequiredSkills, team.MatchLanguage ? contact.Language : null,
            conversation.RequiredTier, contact.Dedicated, contact.Last, contact.Served);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var choice = AssignmentRules.Choose(request, members, outsiders, now, TimeSpan.FromHours(contact.StickyHours));
            if (choice is null) return null;
            var decision = ConversationRules.Assign(conversation, choice.AgentId, choice.Via, now);
            if (await CommitAssignmentAsync(conn, tx, seats, Actor.System(team.BusinessId), conversation, decision,
                    AgentLoad.Limit.Auto, ct))
                return choice.AgentId;
            // Another node filled this agent meanwhile: ask again without them.
            members = members.Where(m => m.Id != choice.AgentId).ToList();
            outsiders = outsiders.Where(m => m.Id != choice.AgentId).ToList();
            request = request with { DedicatedAgent = request.DedicatedAgent == choice.AgentId ? null : request.DedicatedAgent,
                                     LastAgent = request.LastAgent == choice.AgentId ? null : request.LastAgent };
        }
        return null;
    }

    private static async Task<bool> CommitAssignmentAsync(NpgsqlConnection conn, NpgsqlTransaction tx, SeatHolds seats,
        Actor actor, ConversationState before, Decision<ConversationState> decision, AgentLoad.Limit limit,
        CancellationToken ct)
    {
        var now = decision.State.UpdatedAt;
        if (!await AgentLoad.ApplyAsync(conn, tx, seats, before, decision.State, limit, now, ct)) return false;
        var batch = new NpgsqlBatch(conn, tx);
        var (check, _) = await ConversationStore.SaveAsync(conn, tx, batch, [decision], now, ct);
        var effects = new Effects();
        effects.Add(ConversationStore.EntityType, before.Id, before.BusinessId, decision with
        {
            Outbox = [.. decision.Outbox, Notices.Assigned(before.Id, now)],
        }, now);
        effects.AppendTo(batch, now);
        batch.BatchCommands.Add(AuditLog.Entry(actor, "conversation.assigned", "conversation", before.Id,
            new { before.AssigneeId, before.TeamId }, new { decision.State.AssigneeId, decision.State.TeamId }, now));
        await batch.ExecuteNonQueryAsync(ct);
        check();
        return true;
    }

    private static async Task<Team?> LoadTeamAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id,
        CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx,
            "select id, business_id, strategy, required_skills, match_language from teams where id = @id",
            r => new Team(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetFieldValue<string[]>(3), r.GetBoolean(4)),
            ct, ("id", id))).SingleOrDefault();

    private static Task<List<AgentCandidate>> CandidatesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string where, object arg, CancellationToken ct) =>
        Sql.QueryAsync(conn, tx, $"""
            select u.id, u.presence, u.last_active_at,
                   {AgentLoad.OpenLoadSql}, u.capacity, u.skills, u.languages, u.tier, u.last_assigned_at
              from users u where {where} and u.disabled_at is null and u.role <> 'Analyst' order by u.id
            """, r => new AgentCandidate(r.GetGuid(0), r.GetString(1), r.NullableTime(2), r.GetInt32(3), r.GetInt32(4),
                r.GetFieldValue<string[]>(5), r.GetFieldValue<string[]>(6), r.GetString(7), r.NullableTime(8)), ct, ("x", arg));
}

/// <summary>
/// Automatic assignment's ways in, each through the team's queue grain: a conversation entered its queue (the whole
/// queue is worked in order, so offers racing on several nodes still respect it), an agent became available (their
/// teams are drained), and the slow safety sweep of every team with waiting conversations.
/// </summary>
public sealed class TeamQueues(IGrainFactory grains, NpgsqlDataSource db)
{
    /// <summary>The agent the conversation went to (or already had), or null while it waits.</summary>
    public async Task<Guid?> OfferAsync(Guid conversationId, CancellationToken ct)
    {
        if (await TeamOfAsync(conversationId, ct) is not { } team) return null;
        var assigned = await Queue(team).Drain();
        if (assigned.FirstOrDefault(a => a.Conversation == conversationId) is { } mine) return mine.Agent;
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, "select assignee_id from conversations where id = @id",
            r => r.NullableGuid(0), ct, ("id", conversationId))).SingleOrDefault();
    }

    public async Task<int> DrainAsync(Guid team) => (await Queue(team).Drain()).Count;

    /// <summary>The slow safety sweep (not the mechanism), in case an agent became available without an event.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        List<Guid> teams;
        await using (var conn = await db.OpenConnectionAsync(ct))
            teams = await Sql.QueryAsync(conn, null, """
                select distinct team_id from conversations
                 where status = 'open' and assignee_id is null and team_id is not null
                """, r => r.GetGuid(0), ct);
        var assigned = 0;
        foreach (var team in teams) assigned += await DrainAsync(team);
        return assigned;
    }

    private async Task<Guid?> TeamOfAsync(Guid conversationId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, "select team_id from conversations where id = @id",
            r => r.NullableGuid(0), ct, ("id", conversationId))).SingleOrDefault();
    }

    private ITeamQueueGrain Queue(Guid team) =>
        grains.GetGrain<ITeamQueueGrain>(Engine.Grains.Interfaces.GrainKeys.Team(team));
}
