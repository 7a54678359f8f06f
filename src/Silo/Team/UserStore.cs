using System.Security.Cryptography;
using System.Text;
using Engine.Grains.Assignment;
using Engine.Grains.Interfaces.Conversations;
using Engine.Silo.Assignment;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Npgsql;

namespace Engine.Silo.Team;

public sealed record UserView(
    Guid Id, string Email, string Name, string Role, IReadOnlyList<string> Skills, IReadOnlyList<string> Languages, string Tier,
    int Capacity, string Presence, bool Online, DateTimeOffset? LastActiveAt, int OpenLoad, string Load, int Handovers,
    IReadOnlyList<Guid> Teams, bool Disabled, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, long Version, int? DailyBaseline = null);

public sealed record UserChange(string? Name, string? Role, IReadOnlyList<string>? Skills, IReadOnlyList<string>? Languages, string? Tier, int? Capacity, string? Password,
    int? DailyBaseline = null);

/// <summary>People: accounts (PBKDF2 passwords), sessions, agent profiles and presence.</summary>
public sealed class UserStore(NpgsqlDataSource db, TimeProvider clock)
    : Engine.Grains.Agents.IAgentActivity, Engine.Grains.Agents.IAgentLoadStore
{
    public static readonly TimeSpan SessionLength = TimeSpan.FromHours(12);

    private const string Select = $$"""
        select u.id, u.email, u.name, u.role, u.skills, u.languages, u.tier, u.capacity, u.presence, u.last_active_at,
               {{Assignment.AgentLoad.OpenLoadSql}}, u.handovers,
               coalesce(array(select team_id from team_members m where m.user_id = u.id order by team_id), '{}'),
               u.disabled_at is not null, u.created_at, u.updated_at, u.version, u.daily_baseline
          from users u
        """;

    public async Task<UserView> CreateAsync(Actor actor, string email, string name, string role, string password, UserChange profile, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Sql.UniqueAsync(Sql.ExecAsync(conn, tx, """
            insert into users (id, business_id, email, name, role, password_hash, skills, languages, tier, capacity, daily_baseline, created_at, updated_at)
            values (@id, @b, @e, @n, @r, @p, @s, @l, @t, @c, @db, @now, @now)
            """, ct, ("id", id), ("b", actor.BusinessId), ("e", email.Trim().ToLowerInvariant()), ("n", name), ("r", role), ("p", Passwords.Hash(password)),
            ("s", (profile.Skills ?? []).ToArray()), ("l", (profile.Languages ?? []).ToArray()), ("t", profile.Tier ?? "frontline"),
            ("c", profile.Capacity ?? 5), ("db", profile.DailyBaseline), ("now", now)),
            "email_taken", $"A user with email {email} exists.");
        var user = (await GetAsync(conn, tx, actor.BusinessId, id, ct))!;
        await AuditLog.WriteAsync(conn, tx, actor, "user.created", "user", id, null, user, now, ct);
        await tx.CommitAsync(ct);
        return user;
    }

    /// <summary>Creates an Administrator with this email and password at start-up when no user has the email (idempotent across nodes).</summary>
    public async Task EnsureAdministratorAsync(Guid business, string email, string password, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await Sql.ExecAsync(conn, null, """
            insert into users (id, business_id, email, name, role, password_hash, created_at, updated_at)
            values (@id, @b, @e, 'Administrator', 'Administrator', @p, @now, @now)
            on conflict (email) do nothing
            """, ct, ("id", Guid.CreateVersion7()), ("b", business), ("e", email.Trim().ToLowerInvariant()), ("p", Passwords.Hash(password)), ("now", now));
    }

    /// <summary>
    /// Changes a user. A new password or role ends the user's sessions, except <paramref name="currentSession"/> (the
    /// one making the change, when users change themselves).
    /// </summary>
    public async Task<UserView?> UpdateAsync(Actor actor, Guid id, UserChange change, CancellationToken ct, string? currentSession = null)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = await GetAsync(conn, tx, actor.BusinessId, id, ct, forUpdate: true);
        if (before is null) return null;
        await Sql.ExecAsync(conn, tx, """
            update users set name = coalesce(@n, name), role = coalesce(@r, role), skills = coalesce(@s, skills), languages = coalesce(@l, languages),
                   tier = coalesce(@t, tier), capacity = coalesce(@c, capacity), daily_baseline = coalesce(@db, daily_baseline), password_hash = coalesce(@p, password_hash),
                   updated_at = @now, version = version + 1
             where id = @id
            """, ct, ("n", change.Name), ("r", change.Role), ("s", change.Skills?.ToArray()), ("l", change.Languages?.ToArray()), ("t", change.Tier),
            ("c", change.Capacity), ("db", change.DailyBaseline), ("p", change.Password is null ? null : Passwords.Hash(change.Password)), ("now", now), ("id", id));
        var after = (await GetAsync(conn, tx, actor.BusinessId, id, ct))!;
        if (change.Password is not null || after.Role != before.Role)
            await Sql.ExecAsync(conn, tx, "delete from user_sessions where user_id = @id and token_hash <> @keep", ct, ("id", id),
                ("keep", currentSession is null ? Array.Empty<byte>() : SessionHash(currentSession)));
        await AuditLog.WriteAsync(conn, tx, actor, "user.updated", "user", id, before, after, now, ct);
        if (change.Capacity is not null) await AssignmentTriggers.DrainTeamsOfAsync(conn, tx, id, now, ct);
        await tx.CommitAsync(ct);
        return after;
    }

    public async Task<bool> DisableAsync(Actor actor, Guid id, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = await GetAsync(conn, tx, actor.BusinessId, id, ct, forUpdate: true);
        if (before is null || before.Disabled) return false;
        await Sql.ExecAsync(conn, tx, "update users set disabled_at = @now, presence = 'offline', updated_at = @now, version = version + 1 where id = @id", ct, ("now", now), ("id", id));
        await Sql.ExecAsync(conn, tx, "update presence_log set ended_at = @now where user_id = @id and ended_at is null", ct, ("now", now), ("id", id));
        await Sql.ExecAsync(conn, tx, "delete from user_sessions where user_id = @id", ct, ("id", id));
        await AuditLog.WriteAsync(conn, tx, actor, "user.disabled", "user", id, before, null, now, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<IReadOnlyList<UserView>> ListAsync(Guid businessId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var now = clock.GetUtcNow();
        return await Sql.QueryAsync(conn, null, Select + " where u.business_id = @b order by u.name, u.id", r => Read(r, now), ct, ("b", businessId));
    }

    public async Task<UserView?> GetAsync(Guid businessId, Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await GetAsync(conn, null, businessId, id, ct);
    }

    private async Task<UserView?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid businessId, Guid id, CancellationToken ct, bool forUpdate = false)
    {
        var now = clock.GetUtcNow();
        return (await Sql.QueryAsync(conn, tx, Select + $" where u.business_id = @b and u.id = @id {(forUpdate ? "for update of u" : "")}",
            r => Read(r, now), ct, ("b", businessId), ("id", id))).SingleOrDefault();
    }

    private static byte[] SessionHash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>A session token for a valid email and password, or null.</summary>
    public async Task<(string Token, DateTimeOffset ExpiresAt, UserView User)?> LogInAsync(string email, string password, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        var row = (await Sql.QueryAsync(conn, null, "select id, business_id, password_hash from users where email = @e and disabled_at is null",
            r => (Id: r.GetGuid(0), Business: r.GetGuid(1), Hash: r.GetString(2)), ct, ("e", email.Trim().ToLowerInvariant()))).SingleOrDefault();
        // An unknown email costs the same hash as a wrong password: the time taken tells nothing about which accounts
        // exist.
        var verified = Passwords.Verify(password, row.Hash ?? Passwords.Decoy);
        if (row.Hash is null || !verified)
        {
            var business = row.Hash is not null ? row.Business
                : (await Sql.QueryAsync(conn, null, "select id from businesses order by created_at, id limit 1", r => r.GetGuid(0), ct)).FirstOrDefault();
            if (business != Guid.Empty)
                await AuditLog.WriteAsync(conn, null, new Actor("anonymous", email.Trim().ToLowerInvariant(), null, business, "none", null),
                    "user.login_failed", "user", row.Hash is null ? Guid.Empty : row.Id, null, new { Email = email.Trim().ToLowerInvariant() }, now, ct);
            return null;
        }
        var token = "es_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await Sql.ExecAsync(conn, null, "insert into user_sessions (token_hash, user_id, created_at, expires_at) values (@h, @u, @now, @e)",
            ct, ("h", SessionHash(token)), ("u", row.Id), ("now", now), ("e", now + SessionLength));
        var user = (await GetAsync(conn, null, row.Business, row.Id, ct))!;
        await AuditLog.WriteAsync(conn, null, new Actor("user", row.Id.ToString(), user.Name, row.Business, user.Role, row.Id), "user.logged_in", "user", row.Id, null, null, now, ct);
        return (token, now + SessionLength, user);
    }

    public async Task LogOutAsync(string token, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await Sql.ExecAsync(conn, null, "delete from user_sessions where token_hash = @h", ct, ("h", SessionHash(token)));
    }

    /// <summary>The user behind a live session token: (id, business, name, role).</summary>
    public async Task<(Guid Id, Guid Business, string Name, string Role)?> FindSessionAsync(string token, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await Sql.QueryAsync(conn, null, """
            select u.id, u.business_id, u.name, u.role from user_sessions s join users u on u.id = s.user_id
             where s.token_hash = @h and s.expires_at > @now and u.disabled_at is null
            """, r => (r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3)), ct,
            ("h", SessionHash(token)), ("now", clock.GetUtcNow()));
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// Any authenticated action by a user counts as activity (online = active in the last 5 minutes).
    /// An agent who becomes online again — explicitly or by acting after a lapse — has their teams' queues drained to them.
    /// </summary>
    /// <summary>Activity reported by the user's agent grain (at most every 30 s).</summary>
    /// <summary>The agent's capacity and load (their open assigned conversations, leaving out the ones their grain
    /// holds seats for), for their grain.</summary>
    public async Task<Engine.Grains.Agents.AgentLoadView?> ReadAsync(Guid userId, IReadOnlyCollection<Guid> excluding,
        CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, """
            select u.capacity, (select count(*) from conversations c
                                 where c.assignee_id = u.id and c.status = 'open' and c.id <> all(@x))::int,
                   u.disabled_at is null
              from users u where u.id = @u
            """, r => new Engine.Grains.Agents.AgentLoadView(r.GetInt32(0), r.GetInt32(1), r.GetBoolean(2)), ct,
            ("u", userId), ("x", excluding.ToArray()))).SingleOrDefault();
    }

    /// <summary>The agent's latest assignment (round robin gives the next to whoever waited longest).</summary>
    public async Task AssignedAsync(Guid userId, DateTimeOffset at, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await Sql.ExecAsync(conn, null,
            "update users set last_assigned_at = @at where id = @u and (last_assigned_at is null or last_assigned_at < @at)",
            ct, ("u", userId), ("at", at));
    }

    public Task RecordAsync(Guid userId, CancellationToken ct) => TouchAsync(userId, null, null, ct);

    /// <summary>Presence set through the user's agent grain.</summary>
    public Task SetPresenceAsync(Guid userId, string presence, Engine.Grains.Interfaces.Conversations.CommandActor actor, CancellationToken ct) =>
        TouchAsync(userId, presence, Actor.Of(actor), ct);

    public async Task TouchAsync(Guid userId, string? presence, Actor? actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = (await Sql.QueryAsync(conn, tx, "select presence, last_active_at from users where id = @id for update",
            r => (Presence: r.GetString(0), Last: r.NullableTime(1)), ct, ("id", userId))).SingleOrDefault();
        if (before.Presence is null) return;
        var wasOnline = before.Presence == Presence.Online && before.Last is { } t && now - t < AssignmentRules.OnlineWindow;
        var next = presence ?? before.Presence;
        await Sql.ExecAsync(conn, tx, "update users set presence = @p, last_active_at = @now where id = @id", ct, ("p", next), ("now", now), ("id", userId));
        if (presence is not null && presence != before.Presence)
        {
            // Presence history: online hours per day are read from these intervals.
            await Sql.ExecAsync(conn, tx, """
                update presence_log set ended_at = @now where user_id = @id and ended_at is null;
                insert into presence_log (business_id, user_id, presence, started_at) select business_id, id, @p, @now from users where id = @id
                """, ct, ("now", now), ("id", userId), ("p", next));
            if (actor is not null)
                await AuditLog.WriteAsync(conn, tx, actor, "user.presence", "user", userId, new { presence = before.Presence }, new { presence = next }, now, ct);
        }
        if (!wasOnline && next == Presence.Online) await AssignmentTriggers.DrainTeamsOfAsync(conn, tx, userId, now, ct);
        await tx.CommitAsync(ct);
    }

    public static UserView Read(NpgsqlDataReader r, DateTimeOffset now)
    {
        var presence = r.GetString(8);
        var last = r.NullableTime(9);
        var load = r.GetInt32(10);
        var capacity = r.GetInt32(7);
        return new UserView(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<string[]>(4), r.GetFieldValue<string[]>(5),
            r.GetString(6), capacity, presence, presence == Presence.Online && last is { } t && now - t < AssignmentRules.OnlineWindow, last,
            load, AssignmentRules.LoadText(load, capacity), r.GetInt32(11), r.GetFieldValue<Guid[]>(12), r.GetBoolean(13), r.Time(14), r.Time(15), r.GetInt64(16),
            r.IsDBNull(17) ? null : r.GetInt32(17));
    }
}
