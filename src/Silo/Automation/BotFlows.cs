using System.Text.Json;
using Engine.Grains.Automation;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Automation;

public sealed record BotFlow(Guid Id, string Key, int Version, string Name, IReadOnlyList<string> EntryKeywords, FlowDefinition Definition, bool Enabled, DateTimeOffset CreatedAt);

/// <summary>Where a conversation is in a flow.</summary>
public sealed record FlowPosition(Guid FlowId, string Node, int Misses);

/// <summary>QA flows: every change is a new version; conversations already in a flow finish the version they started.</summary>
public sealed class BotFlows(NpgsqlDataSource db, TimeProvider clock)
{
    private const string Columns = "id, key, version, name, entry_keywords, definition::text, enabled, created_at";

    /// <summary>Saves a new version of the flow <paramref name="key"/> (version 1 when new).</summary>
    public async Task<BotFlow> SaveAsync(Actor actor, string key, string name, IReadOnlyList<string> entryKeywords, FlowDefinition definition, bool enabled, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Sql.ExecAsync(conn, tx, "select pg_advisory_xact_lock(hashtextextended(@k, 1))", ct, ("k", $"{actor.BusinessId}:{key}"));
        var version = (await Sql.QueryAsync(conn, tx, "select coalesce(max(version), 0) + 1 from bot_flows where business_id = @b and key = @k",
            r => r.GetInt32(0), ct, ("b", actor.BusinessId), ("k", key)))[0];
        var flow = new BotFlow(Guid.CreateVersion7(), key, version, name, entryKeywords, definition, enabled, now);
        await using (var cmd = Sql.Command(conn, tx, """
            insert into bot_flows (id, business_id, key, version, name, entry_keywords, definition, enabled, created_at)
            values (@id, @b, @k, @v, @n, @e, @d, @en, @now)
            """, ("id", flow.Id), ("b", actor.BusinessId), ("k", key), ("v", version), ("n", name), ("e", entryKeywords.ToArray()), ("en", enabled), ("now", now)))
        {
            cmd.Parameters.Add(new NpgsqlParameter("d", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(definition, Effects.Json) });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await AuditLog.WriteAsync(conn, tx, actor, "bot_flow.saved", "bot_flow", key, null, flow, now, ct);
        await tx.CommitAsync(ct);
        return flow;
    }

    public async Task<IReadOnlyList<BotFlow>> VersionsAsync(Guid business, string key, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, $"select {Columns} from bot_flows where business_id = @b and key = @k order by version", Read, ct, ("b", business), ("k", key));
    }

    public async Task<IReadOnlyList<BotFlow>> LatestAsync(Guid business, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await LatestAsync(conn, null, [business], ct)).GetValueOrDefault(business) ?? [];
    }

    /// <summary>The latest version of each flow, per business (one query for an ingest group).</summary>
    public static async Task<Dictionary<Guid, List<BotFlow>>> LatestAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid[] businesses, CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx, LatestQuery, ReadLatest, ct, ("b", businesses)))
        .GroupBy(x => x.Business).ToDictionary(g => g.Key, g => g.Select(x => x.Flow).ToList());

    internal const string LatestQuery = $"""
        select distinct on (business_id, key) business_id, {Columns} from bot_flows where business_id = any(@b) order by business_id, key, version desc
        """;

    internal static (Guid Business, BotFlow Flow) ReadLatest(NpgsqlDataReader r) => (r.GetGuid(0), Read(r, 1));

    /// <summary>Conversations in a flow, with the version they run.</summary>
    public static async Task<Dictionary<Guid, (FlowPosition Position, FlowDefinition Definition)>> PositionsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid[] conversations, CancellationToken ct) =>
        (await Sql.QueryAsync(conn, tx, """
            select p.conversation_id, p.flow_id, p.node, p.misses, f.definition::text from conversation_flows p join bot_flows f on f.id = p.flow_id
             where p.conversation_id = any(@c)
            """, r => (Id: r.GetGuid(0), Pos: new FlowPosition(r.GetGuid(1), r.GetString(2), r.GetInt32(3)),
                Def: JsonSerializer.Deserialize<FlowDefinition>(r.GetString(4), Effects.Json)!), ct, ("c", conversations)))
        .ToDictionary(x => x.Id, x => (x.Pos, x.Def));

    public static NpgsqlBatchCommand Save(Guid conversation, FlowPosition? position, DateTimeOffset now) => position is null
        ? Sql.Command("delete from conversation_flows where conversation_id = @c", ("c", conversation))
        : Sql.Command("""
            insert into conversation_flows (conversation_id, flow_id, node, misses, updated_at) values (@c, @f, @n, @m, @now)
            on conflict (conversation_id) do update set flow_id = excluded.flow_id, node = excluded.node, misses = excluded.misses, updated_at = excluded.updated_at
            """, ("c", conversation), ("f", position.FlowId), ("n", position.Node), ("m", position.Misses), ("now", now));

    private static BotFlow Read(NpgsqlDataReader r) => Read(r, 0);

    private static BotFlow Read(NpgsqlDataReader r, int o) => new(r.GetGuid(o), r.GetString(o + 1), r.GetInt32(o + 2), r.GetString(o + 3),
        r.GetFieldValue<string[]>(o + 4), JsonSerializer.Deserialize<FlowDefinition>(r.GetString(o + 5), Effects.Json)!, r.GetBoolean(o + 6), r.Time(o + 7));
}
