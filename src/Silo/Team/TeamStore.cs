using Engine.Silo.Assignment;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Team;

public sealed record TeamView(Guid Id, string Name, string Strategy, IReadOnlyList<string> RequiredSkills, bool MatchLanguage, bool IsDefault,
    IReadOnlyList<Guid> Members, int Waiting, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, long Version);

public sealed record TeamChange(string? Name, string? Strategy, IReadOnlyList<string>? RequiredSkills, bool? MatchLanguage, bool? IsDefault, IReadOnlyList<Guid>? Members);

/// <summary>Teams (routing targets with an assignment strategy) and their members.</summary>
public sealed class TeamStore(NpgsqlDataSource db, TimeProvider clock)
{
    private const string Select = """
        select t.id, t.name, t.strategy, t.required_skills, t.match_language, t.is_default,
               coalesce(array(select user_id from team_members m where m.team_id = t.id order by user_id), '{}'),
               (select count(*)::int from conversations c where c.team_id = t.id and c.status = 'open' and c.assignee_id is null),
               t.created_at, t.updated_at, t.version
          from teams t
        """;

    private const string TeamExists = "team_exists";

    private static string Taken(string? name) => $"A team named {name} exists.";

    public async Task<TeamView> CreateAsync(Actor actor, TeamChange c, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (c.IsDefault == true) await Sql.ExecAsync(conn, tx, "update teams set is_default = false where business_id = @b and is_default", ct, ("b", actor.BusinessId));
        await Sql.UniqueAsync(Sql.ExecAsync(conn, tx, """
            insert into teams (id, business_id, name, strategy, required_skills, match_language, is_default, created_at, updated_at)
            values (@id, @b, @n, @s, @k, @m, @d, @now, @now)
            """, ct, ("id", id), ("b", actor.BusinessId), ("n", c.Name!), ("s", c.Strategy ?? "round_robin_online"), ("k", (c.RequiredSkills ?? []).ToArray()),
            ("m", c.MatchLanguage ?? false), ("d", c.IsDefault ?? false), ("now", now)), TeamExists, Taken(c.Name));
        await SetMembersAsync(conn, tx, id, c.Members ?? [], ct);
        var team = (await GetAsync(conn, tx, actor.BusinessId, id, ct))!;
        await AuditLog.WriteAsync(conn, tx, actor, "team.created", "team", id, null, team, now, ct);
        await tx.CommitAsync(ct);
        return team;
    }

    public async Task<TeamView?> UpdateAsync(Actor actor, Guid id, TeamChange c, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = await GetAsync(conn, tx, actor.BusinessId, id, ct, forUpdate: true);
        if (before is null) return null;
        if (c.IsDefault == true) await Sql.ExecAsync(conn, tx, "update teams set is_default = false where business_id = @b and is_default and id <> @id", ct, ("b", actor.BusinessId), ("id", id));
        await Sql.UniqueAsync(Sql.ExecAsync(conn, tx, """
            update teams set name = coalesce(@n, name), strategy = coalesce(@s, strategy), required_skills = coalesce(@k, required_skills),
                   match_language = coalesce(@m, match_language), is_default = coalesce(@d, is_default), updated_at = @now, version = version + 1
             where id = @id
            """, ct, ("n", c.Name), ("s", c.Strategy), ("k", c.RequiredSkills?.ToArray()), ("m", c.MatchLanguage),
            ("d", c.IsDefault), ("now", now), ("id", id)),
            TeamExists, Taken(c.Name));
        if (c.Members is not null) await SetMembersAsync(conn, tx, id, c.Members, ct);
        var after = (await GetAsync(conn, tx, actor.BusinessId, id, ct))!;
        await AuditLog.WriteAsync(conn, tx, actor, "team.updated", "team", id, before, after, now, ct);
        await AssignmentTriggers.DrainTeamAsync(conn, tx, id, now, ct); // new members or a new strategy may take waiting conversations
        await tx.CommitAsync(ct);
        return after;
    }

    public async Task<IReadOnlyList<TeamView>> ListAsync(Guid businessId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, Select + " where t.business_id = @b order by t.name", Read, ct, ("b", businessId));
    }

    public async Task<TeamView?> GetAsync(Guid businessId, Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await GetAsync(conn, null, businessId, id, ct);
    }

    private static async Task<TeamView?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid businessId, Guid id, CancellationToken ct, bool forUpdate = false) =>
        (await Sql.QueryAsync(conn, tx, Select + $" where t.business_id = @b and t.id = @id {(forUpdate ? "for update of t" : "")}", Read, ct,
            ("b", businessId), ("id", id))).SingleOrDefault();

    private static async Task SetMembersAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid team, IReadOnlyList<Guid> members, CancellationToken ct)
    {
        await Sql.ExecAsync(conn, tx, "delete from team_members where team_id = @t", ct, ("t", team));
        await Sql.ExecAsync(conn, tx, "insert into team_members (team_id, user_id) select @t, unnest(@u) on conflict do nothing", ct, ("t", team), ("u", members.Distinct().ToArray()));
    }

    private static TeamView Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetFieldValue<string[]>(3), r.GetBoolean(4),
        r.GetBoolean(5), r.GetFieldValue<Guid[]>(6), r.GetInt32(7), r.Time(8), r.Time(9), r.GetInt64(10));
}
