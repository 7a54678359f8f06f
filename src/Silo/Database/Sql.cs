using Npgsql;

namespace Engine.Silo.Database;

/// <summary>Small helpers so SQL call sites stay one readable statement each.</summary>
public static class Sql
{
    /// <summary>A write whose unique key is a rule people see (a name, email, shortcut or number already taken): a
    /// duplicate is refused with <paramref name="code"/> (409), and the transaction rolls back.</summary>
    public static async Task<T> UniqueAsync<T>(Task<T> write, string code, string detail)
    {
        try { return await write; }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new Engine.Grains.Interfaces.Runtime.RefusedException(code, detail);
        }
    }

    public static NpgsqlBatchCommand Command(string sql, params (string Name, object? Value)[] ps)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        foreach (var (n, v) in ps) cmd.Parameters.Add(new NpgsqlParameter(n, v ?? DBNull.Value));
        return cmd;
    }

    public static NpgsqlCommand Command(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, params (string Name, object? Value)[] ps)
    {
        var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var (n, v) in ps) cmd.Parameters.Add(new NpgsqlParameter(n, v ?? DBNull.Value));
        return cmd;
    }

    public static async Task<int> ExecAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] ps)
    {
        await using var cmd = Command(conn, tx, sql, ps);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<List<T>> QueryAsync<T>(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, Func<NpgsqlDataReader, T> map, CancellationToken ct, params (string Name, object? Value)[] ps)
    {
        await using var cmd = Command(conn, tx, sql, ps);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await r.ReadAsync(ct)) list.Add(map(r));
        return list;
    }

    /// <summary>Every row of the reader's current result set (for batches that return several).</summary>
    public static async Task<List<T>> ReadAllAsync<T>(NpgsqlDataReader r, Func<NpgsqlDataReader, T> map, CancellationToken ct)
    {
        var list = new List<T>();
        while (await r.ReadAsync(ct)) list.Add(map(r));
        return list;
    }

    public static DateTimeOffset? NullableTime(this NpgsqlDataReader r, int i) =>
        r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    public static DateTimeOffset Time(this NpgsqlDataReader r, int i) => r.GetFieldValue<DateTimeOffset>(i);

    public static string? NullableString(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static Guid? NullableGuid(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetGuid(i);
}
