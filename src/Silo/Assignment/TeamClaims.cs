using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Runtime;
using Engine.Grains.Interfaces.Teams;
using Engine.Grains.Teams;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Assignment;

/// <summary>
/// Claim mode through the team queue grains: a specific conversation through its team's grain; "the next one" as the
/// best head (VIP first, then longest waiting) among the agent's teams' queues, claimed from that team's grain (and,
/// when another agent got it first, the next best).
/// </summary>
public sealed class TeamClaims(NpgsqlDataSource db, IGrainFactory grains)
{
    private const int Attempts = 5;

    public async Task<Guid?> ClaimAsync(Actor actor, Guid? conversation, CancellationToken ct)
    {
        var agent = actor.UserId
            ?? throw new RefusedException("user_required",
                "Claiming needs a signed-in agent (or an API key issued for one).");
        var request = new ClaimRequest(agent, conversation, actor.ToCommand());
        await using var conn = await db.OpenConnectionAsync(ct);
        if (conversation is { } id)
        {
            var found = await Sql.QueryAsync(conn, null,
                "select team_id from conversations where id = @id and business_id = @b",
                r => r.NullableGuid(0), ct, ("id", id), ("b", actor.BusinessId));
            if (found.Count == 0) throw new RefusedException("not_found", "No such conversation.");
            if (found[0] is not { } team)
                throw new RefusedException("not_waiting", "The conversation is not waiting in a queue.");
            return Claimed(await Queue(team).Claim(request));
        }
        var teams = await Sql.QueryAsync(conn, null,
            "select team_id from team_members where user_id = @u order by team_id",
            r => r.GetGuid(0), ct, ("u", agent));
        if (teams.Count == 1) return Claimed(await Queue(teams[0]).Claim(request));
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var heads = await Task.WhenAll(teams.Select(async t => (Team: t, Head: await Queue(t).Head())));
            var waiting = heads.Where(h => h.Head is not null).Select(h => (h.Team, Head: h.Head!)).ToList();
            if (waiting.Count == 0) return null;
            var pick = waiting.Aggregate((best, h) => TeamQueueOrder.Before(h.Head, best.Head) ? h : best);
            var outcome = await Queue(pick.Team).Claim(request with { Conversation = pick.Head.Id });
            // Claimed, or refused for a reason a retry cannot change; "not_waiting": another agent got it first.
            if (outcome.Code != "not_waiting") return Claimed(outcome);
        }
        return null;
    }

    private ITeamQueueGrain Queue(Guid team) => grains.GetGrain<ITeamQueueGrain>(GrainKeys.Team(team));

    private static Guid? Claimed(ClaimOutcome outcome) =>
        outcome.Code is { } code ? throw new RefusedException(code, outcome.Detail ?? code) : outcome.Conversation;
}

/// <summary>The team queue grains' view of the conversations table.</summary>
public sealed class TeamQueueStore(NpgsqlDataSource db, AssignmentService assignment) : ITeamQueueStore
{
    public async Task<IReadOnlyList<QueuedConversation>> WaitingAsync(Guid team, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, """
            select id, priority, coalesce(queued_at, opened_at) from conversations
             where team_id = @t and status = 'open' and assignee_id is null
             order by priority desc, queued_at, id limit 100
            """, r => new QueuedConversation(r.GetGuid(0), r.GetInt32(1), r.Time(2)), ct, ("t", team));
    }

    public Task<bool> OffersNowAsync(Guid team, CancellationToken ct) => assignment.OffersNowAsync(team, ct);
}
