using System.Text;
using System.Text.Json;
using Engine.Silo.Database;
using Engine.Silo.Queries;
using Engine.Silo.Runtime;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Audit;

/// <summary>Who acts: a signed-in user, an integration's API key (possibly on a user's behalf), or the engine itself.</summary>
public sealed record Actor(string Type, string Id, string? Name, Guid BusinessId, string Role, Guid? UserId)
{
    public static Actor System(Guid businessId) => new("system", "engine", "engine", businessId, "Administrator", null);

    /// <summary>As carried in a grain call.</summary>
    public Grains.Interfaces.Conversations.CommandActor ToCommand() => new(Type, Id, Name, BusinessId, Role, UserId);

    /// <summary>Back from a grain call.</summary>
    public static Actor Of(Grains.Interfaces.Conversations.CommandActor a) => new(a.Type, a.Id, a.Name, a.BusinessId, a.Role, a.UserId);
}

public sealed record AuditEntry(long Id, string ActorType, string ActorId, string? ActorName, string Action, string EntityType, string EntityId,
    DateTimeOffset At, JsonElement? Before, JsonElement? After);

/// <summary>Every change, with its actor, time to the second and before/after, written in the changing transaction.</summary>
public sealed class AuditLog(NpgsqlDataSource db)
{
    public static NpgsqlBatchCommand Entry(Actor actor, string action, string entityType, object entityId, object? before, object? after, DateTimeOffset now)
    {
        var cmd = Sql.Command("""
            insert into audit_log (business_id, actor_type, actor_id, actor_name, action, entity_type, entity_id, at, before, after)
            values (@b, @t, @i, @n, @a, @et, @ei, date_trunc('second', @now::timestamptz), @before, @after)
            """, ("b", actor.BusinessId), ("t", actor.Type), ("i", actor.Id), ("n", actor.Name), ("a", action), ("et", entityType),
            ("ei", entityId.ToString()), ("now", now));
        cmd.Parameters.Add(new NpgsqlParameter("before", NpgsqlDbType.Jsonb) { Value = before is null ? DBNull.Value : JsonSerializer.Serialize(before, Effects.Json) });
        cmd.Parameters.Add(new NpgsqlParameter("after", NpgsqlDbType.Jsonb) { Value = after is null ? DBNull.Value : JsonSerializer.Serialize(after, Effects.Json) });
        return cmd;
    }

    public static async Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Actor actor, string action, string entityType, object entityId,
        object? before, object? after, DateTimeOffset now, CancellationToken ct)
    {
        var batch = new NpgsqlBatch(conn, tx);
        batch.BatchCommands.Add(Entry(actor, action, entityType, entityId, before, after, now));
        await batch.ExecuteNonQueryAsync(ct);
    }

    public async Task<Page<AuditEntry>> ListAsync(Guid businessId, string? entityType, string? entityId, string? actorId, string? action,
        DateTimeOffset? from, DateTimeOffset? to, long? before, int limit, CancellationToken ct)
    {
        var sql = new StringBuilder("""
            select id, actor_type, actor_id, actor_name, action, entity_type, entity_id, at, before::text, after::text
              from audit_log where business_id = @b
            """);
        var ps = new List<(string, object?)> { ("b", businessId), ("limit", limit + 1) };
        if (entityType is not null) { sql.Append(" and entity_type = @et"); ps.Add(("et", entityType)); }
        if (entityId is not null) { sql.Append(" and entity_id = @ei"); ps.Add(("ei", entityId)); }
        if (actorId is not null) { sql.Append(" and actor_id = @ai"); ps.Add(("ai", actorId)); }
        if (action is not null) { sql.Append(" and action = @ac"); ps.Add(("ac", action)); }
        if (from is not null) { sql.Append(" and at >= @from"); ps.Add(("from", from)); }
        if (to is not null) { sql.Append(" and at < @to"); ps.Add(("to", to)); }
        if (before is not null) { sql.Append(" and id < @before"); ps.Add(("before", before)); }
        sql.Append(" order by id desc limit @limit");
        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await Sql.QueryAsync(conn, null, sql.ToString(), r => new AuditEntry(r.GetInt64(0), r.GetString(1), r.GetString(2), r.NullableString(3),
            r.GetString(4), r.GetString(5), r.GetString(6), r.Time(7), Json(r, 8), Json(r, 9)), ct, ps.ToArray());
        return rows.Count > limit ? new(rows.Take(limit).ToList(), rows[limit - 1].Id.ToString()) : new(rows, null);
    }

    private static JsonElement? Json(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : JsonDocument.Parse(r.GetString(i)).RootElement.Clone();
}
