using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Membership;

public sealed record NodeInfo(string Id, string Host, int Pid, string Roles, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, DateTimeOffset? StoppedAt, bool Alive);

/// <summary>Cluster membership: each node registers, heartbeats, and marks itself stopped; operators list who is alive.</summary>
public sealed class NodeRegistry(NpgsqlDataSource db, TimeProvider clock, NodeIdentity node)
{
    public static readonly TimeSpan DeadAfter = TimeSpan.FromSeconds(30);

    public async Task RegisterAsync(string roles, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await Sql.ExecAsync(conn, null, """
            insert into nodes (id, host, pid, roles, started_at, heartbeat_at) values (@id, @h, @p, @r, @now, @now)
            on conflict (id) do update set host = @h, pid = @p, roles = @r, started_at = @now, heartbeat_at = @now, stopped_at = null
            """, ct, ("id", node.Id), ("h", Environment.MachineName), ("p", Environment.ProcessId), ("r", roles), ("now", now));
    }

    public async Task HeartbeatAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await Sql.ExecAsync(conn, null, "update nodes set heartbeat_at = @now where id = @id", ct, ("now", clock.GetUtcNow()), ("id", node.Id));
    }

    public async Task StoppedAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await Sql.ExecAsync(conn, null, "update nodes set stopped_at = @now where id = @id", ct, ("now", clock.GetUtcNow()), ("id", node.Id));
    }

    public async Task<IReadOnlyList<NodeInfo>> ListAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null,
            "select id, host, pid, roles, started_at, heartbeat_at, stopped_at from nodes order by started_at desc, id",
            r => new NodeInfo(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.Time(4), r.Time(5), r.NullableTime(6),
                r.IsDBNull(6) && now - r.Time(5) < DeadAfter), ct);
    }
}
