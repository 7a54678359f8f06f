using System.Reflection;
using Npgsql;

namespace Engine.Silo.Database;

/// <summary>Applies the numbered SQL files under Migrations/ once each, in order, under an advisory lock so nodes starting together don't race.</summary>
public static class Migrator
{
    private const long LockKey = 0x656e67696e65; // "engine"

    public static async Task MigrateAsync(NpgsqlDataSource db, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await Exec(conn, "select pg_advisory_lock(@k)", ct, ("k", LockKey));
        try
        {
            await Exec(conn, "create table if not exists schema_migrations (version int primary key, name text not null, applied_at timestamptz not null default now())", ct);
            var applied = new HashSet<int>();
            await using (var cmd = new NpgsqlCommand("select version from schema_migrations", conn))
            await using (var r = await cmd.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct)) applied.Add(r.GetInt32(0));

            foreach (var (version, name, sql) in Scripts())
            {
                if (applied.Contains(version)) continue;
                await using var tx = await conn.BeginTransactionAsync(ct);
                await using (var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 }) await cmd.ExecuteNonQueryAsync(ct);   // backfills may take minutes
                await using (var cmd = new NpgsqlCommand("insert into schema_migrations (version, name) values (@v, @n)", conn, tx))
                {
                    cmd.Parameters.AddWithValue("v", version);
                    cmd.Parameters.AddWithValue("n", name);
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
            }
        }
        finally
        {
            await Exec(conn, "select pg_advisory_unlock(@k)", CancellationToken.None, ("k", LockKey));
        }
    }

    /// <summary>The migrations this build has that the database has not applied (a node started on an older schema, or
    /// one whose migration failed): a node is not ready while any is missing.</summary>
    public static async Task<IReadOnlyList<int>> MissingAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var applied = new HashSet<int>();
        await using (var cmd = new NpgsqlCommand(
            "select version from schema_migrations where to_regclass('schema_migrations') is not null", conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) applied.Add(r.GetInt32(0));
        return Scripts().Select(s => s.Version).Where(v => !applied.Contains(v)).ToList();
    }

    private static IEnumerable<(int Version, string Name, string Sql)> Scripts()
    {
        var asm = typeof(Migrator).Assembly;
        foreach (var res in asm.GetManifestResourceNames().Where(n => n.EndsWith(".sql")).Order(StringComparer.Ordinal))
        {
            var file = res.Split('.')[^2];               // Engine.Silo.Migrations.001_foundation.sql
            var version = int.Parse(file[..file.IndexOf('_')]);
            using var stream = asm.GetManifestResourceStream(res)!;
            using var reader = new StreamReader(stream);
            yield return (version, file, reader.ReadToEnd());
        }
    }

    private static async Task Exec(NpgsqlConnection conn, string sql, CancellationToken ct, params (string, object)[] ps)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in ps) cmd.Parameters.AddWithValue(n, v);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
