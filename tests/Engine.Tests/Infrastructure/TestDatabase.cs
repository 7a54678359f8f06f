using System.Diagnostics;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL cluster per run (scripts/postgres.sh), one migrated template database per run, and
/// a fresh database cloned from it for each test class.
/// </summary>
public sealed class TestDatabase : IAsyncLifetime
{
    private static readonly SemaphoreSlim TemplateLock = new(1, 1);
    private static bool _templateReady;
    private const string Template = "engine_test_template";

    public string Name { get; } = "t_" + Guid.NewGuid().ToString("N")[..16];
    public string ConnectionString => new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = Name, MaxPoolSize = 40 }.ConnectionString;
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await EnsureTemplateAsync();
        await AdminExecAsync($"create database {Name} template {Template}");
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await AdminExecAsync($"drop database if exists {Name} with (force)");
    }

    public async Task<long> CountAsync(string sqlFromWhere, params (string, object)[] ps)
    {
        await using var conn = await DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand("select count(*) " + sqlFromWhere, conn);
        foreach (var (n, v) in ps) cmd.Parameters.AddWithValue(n, v);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task<T> ScalarAsync<T>(string sql, params (string, object)[] ps)
    {
        await using var conn = await DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in ps) cmd.Parameters.AddWithValue(n, v);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params (string, object)[] ps)
    {
        await using var conn = await DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in ps) cmd.Parameters.AddWithValue(n, v);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await r.ReadAsync()) rows.Add(read(r));
        return rows;
    }

    public async Task ExecAsync(string sql, params (string, object)[] ps)
    {
        await using var conn = await DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in ps) cmd.Parameters.AddWithValue(n, v);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task EnsureTemplateAsync()
    {
        await TemplateLock.WaitAsync();
        try
        {
            if (_templateReady) return;
            await AdminExecAsync($"drop database if exists {Template} with (force)");
            await AdminExecAsync($"create database {Template}");
            var cs = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = Template, Pooling = false }.ConnectionString;
            await using (var ds = NpgsqlDataSource.Create(cs)) await Migrator.MigrateAsync(ds);
            _templateReady = true;
        }
        finally { TemplateLock.Release(); }
    }

    /// <summary>Runs a statement on the server (connected to its "postgres" database), e.g. to drop a database a test
    /// made.</summary>
    public static async Task AdminExecAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>ENGINE_TEST_POSTGRES when the test script set it; otherwise the local cluster is provisioned here.</summary>
    private static string AdminConnectionString => _admin.Value;

    private static readonly Lazy<string> _admin = new(() =>
    {
        var fromEnv = Environment.GetEnvironmentVariable("ENGINE_TEST_POSTGRES");
        if (!string.IsNullOrEmpty(fromEnv)) return fromEnv;
        var dir = Repository.Find();
        if (dir is null) throw new InvalidOperationException("Set ENGINE_TEST_POSTGRES or run the tests with scripts/test.sh.");
        var psi = new ProcessStartInfo("bash", Path.Combine(dir.FullName, "scripts", "postgres.sh")) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return output;
    });
}
