using System.Collections.Concurrent;
using System.Text.Json;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Channels;

/// <summary>Channel rows (their secrets encrypted at rest), and a short-lived per-node cache for the webhook hot
/// path.</summary>
public sealed class ChannelStore(NpgsqlDataSource db, TimeProvider clock, IOptions<EngineOptions> options, Access.SecretBox box)
{
    private const string Columns = "id, business_id, kind, name, enabled, settings, secrets, created_at, updated_at, version";
    private readonly ConcurrentDictionary<Guid, (Channel? Channel, DateTimeOffset Until)> _cache = new();

    private const string ChannelExists = "channel_exists";

    private static string NumberTaken(ChannelSettings s) =>
        $"Phone number id {s.PhoneNumberId} already belongs to a channel.";

    public async Task<Channel> CreateAsync(Actor actor, string kind, string name, ChannelSettings settings, ChannelSecrets secrets, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var businessId = actor.BusinessId;
        var channel = new Channel(Guid.CreateVersion7(), businessId, kind, name, true, settings, secrets, now, now, 1);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var cmd = Sql.Command(conn, tx, """
            insert into channels (id, business_id, kind, name, enabled, settings, secrets, created_at, updated_at, version)
            values (@id, @b, @k, @n, true, @s, @x, @now, @now, 1)
            """, ("id", channel.Id), ("b", businessId), ("k", kind), ("n", name), ("now", now));
        cmd.Parameters.Add(Jsonb("s", settings));
        cmd.Parameters.Add(Sealed("x", secrets));
        await Sql.UniqueAsync(cmd.ExecuteNonQueryAsync(ct), ChannelExists, NumberTaken(settings));
        await AuditLog.WriteAsync(conn, tx, actor, "channel.created", "channel", channel.Id, null, new { kind, name, settings }, now, ct);
        await tx.CommitAsync(ct);
        return channel;
    }

    public async Task<IReadOnlyList<Channel>> ListAsync(Guid businessId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, $"select {Columns} from channels where business_id = @b order by created_at, id",
            Read, ct, ("b", businessId));
    }

    public async Task<Channel?> GetAsync(Guid businessId, Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return (await Sql.QueryAsync(conn, null, $"select {Columns} from channels where id = @id and business_id = @b",
            Read, ct, ("id", id), ("b", businessId))).SingleOrDefault();
    }

    /// <summary>Read-modify-write under a row lock; <paramref name="change"/> returns the new channel (or throws a validation error).</summary>
    public async Task<Channel?> UpdateAsync(Actor actor, Guid id, Func<Channel, Channel> change, CancellationToken ct)
    {
        var businessId = actor.BusinessId;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var current = (await Sql.QueryAsync(conn, tx, $"select {Columns} from channels where id = @id and business_id = @b for update",
            Read, ct, ("id", id), ("b", businessId))).SingleOrDefault();
        if (current is null) return null;
        var next = change(current) with { UpdatedAt = clock.GetUtcNow(), Version = current.Version + 1 };
        await using var cmd = Sql.Command(conn, tx, """
            update channels set name = @n, enabled = @e, settings = @s, secrets = @x, updated_at = @u, version = @v
             where id = @id and version = @old
            """, ("n", next.Name), ("e", next.Enabled), ("u", next.UpdatedAt), ("v", next.Version), ("id", id), ("old", current.Version));
        cmd.Parameters.Add(Jsonb("s", next.Settings));
        cmd.Parameters.Add(Sealed("x", next.Secrets));
        if (await Sql.UniqueAsync(cmd.ExecuteNonQueryAsync(ct), ChannelExists, NumberTaken(next.Settings)) != 1)
            throw new VersionConflictException("channel");
        // Secrets stay out of the log: only whether each is set, and settings.
        await AuditLog.WriteAsync(conn, tx, actor, "channel.updated", "channel", id,
            new { current.Name, current.Enabled, current.Settings }, new { next.Name, next.Enabled, next.Settings, SecretsChanged = next.Secrets != current.Secrets }, next.UpdatedAt, ct);
        await tx.CommitAsync(ct);
        _cache.TryRemove(id, out _);
        return next;
    }

    /// <summary>For webhooks: the channel by id, cached for <see cref="EngineOptions.ChannelCacheTtl"/> (settings changes reach every node within that).</summary>
    public async Task<Channel?> FindCachedAsync(Guid id, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        // Fresh when it expires in the future but no further than the TTL (a clock moved back also refreshes).
        if (_cache.TryGetValue(id, out var hit) && hit.Until > now && hit.Until - now <= options.Value.ChannelCacheTtl)
            return hit.Channel;
        await using var conn = await db.OpenConnectionAsync(ct);
        var channel = (await Sql.QueryAsync(conn, null, $"select {Columns} from channels where id = @id", Read, ct, ("id", id))).SingleOrDefault();
        _cache[id] = (channel, now + options.Value.ChannelCacheTtl);
        return channel;
    }

    private static NpgsqlParameter Jsonb<T>(string name, T value) =>
        new(name, NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(value, Effects.Json) };

    private NpgsqlParameter Sealed(string name, ChannelSecrets secrets) => new(name, box.Protect(JsonSerializer.Serialize(secrets, Effects.Json)));

    private Channel Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetBoolean(4),
        JsonSerializer.Deserialize<ChannelSettings>(r.GetString(5), Effects.Json)!,
        JsonSerializer.Deserialize<ChannelSecrets>(box.Unprotect(r.GetString(6)), Effects.Json)!,
        r.Time(7), r.Time(8), r.GetInt64(9));
}
