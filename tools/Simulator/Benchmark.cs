using System.Diagnostics;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Simulator;

/// <summary>
/// The ingest benchmark. In one run, on one fresh database: (a) the raw ceiling — the minimal durable
/// writes of an inbound message (dedupe, contact, conversation, message) straight through Npgsql,
/// one message per transaction, at the best of several concurrencies; (b) the group-committed ceiling —
/// the same statements, concurrent messages sharing transactions (a few writer loops, one batch per drained
/// queue, each message awaiting its own commit), no HTTP and no grains: the practical limit; (c) the engine end
/// to end — signed webhooks over HTTP, acknowledged after commit — with one node and with two nodes (two
/// processes, one Orleans cluster), then p50/p99 at half of the best throughput.
/// Prints messages/s, acknowledgement latency, engine ÷ raw and engine ÷ group-committed.
/// </summary>
public static class Benchmark
{
    private const string AdminKey = "ek_benchmark_admin";
    private const string Secret = "bench-secret";

    public static async Task<int> RunAsync(string adminConnectionString, int messages, int customers)
    {
        var dbName = $"bench_{DateTime.UtcNow:yyyyMMddHHmmss}";
        var admin = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        await Exec(admin, $"create database {dbName}");
        var cs = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = dbName, MaxPoolSize = 200 }.ConnectionString;
        var nodes = new List<Process>();
        try
        {
            await using var db = NpgsqlDataSource.Create(cs);
            await Migrator.MigrateAsync(db);
            Console.WriteLine($"database {dbName}; fsync={await Scalar(db, "show fsync")}, synchronous_commit={await Scalar(db, "show synchronous_commit")}; {Environment.ProcessorCount} cores");

            var node1 = StartNode(cs, 18081, "bench-1", siloPort: 11211, gatewayPort: 30211);
            nodes.Add(node1);
            await WaitHealthy(new Uri("http://127.0.0.1:18081"));
            var channel = await Traffic.CreateChannelAsync(new Uri("http://127.0.0.1:18081"), AdminKey, "whatsapp", Secret, null, null);
            var business = (Guid)(await Scalar(db, "select business_id from channels limit 1"))!;

            var raw = new List<(int Concurrency, TrafficReport Report)>();
            foreach (var c in new[] { 8, 32, 64 })
                raw.Add((c, await RawAsync(db, business, channel.Id, messages, customers, c, seed: c)));
            var bestRaw = raw.MaxBy(r => r.Report.PerSecond);
            var grouped = new List<(int Concurrency, TrafficReport Report)>();
            foreach (var c in new[] { 64, 256 })
                grouped.Add((c, await GroupCommittedAsync(db, business, channel.Id, (messages, customers, c), seed: 500 + c)));
            var bestGrouped = grouped.MaxBy(r => r.Report.PerSecond);

            // Untimed warm-up (JIT, connection pools) so no configuration pays for it.
            await Traffic.RunAsync(Options([new Uri("http://127.0.0.1:18081")], channel, 1000, customers, 32, seed: 7));

            var one = new List<(int Concurrency, TrafficReport Report)>();
            foreach (var c in new[] { 32, 128, 256 })
                one.Add((c, await Traffic.RunAsync(Options([new Uri("http://127.0.0.1:18081")], channel, messages, customers, c, seed: 100 + c))));
            var bestOne = one.MaxBy(r => r.Report.PerSecond);

            nodes.Add(StartNode(cs, 18082, "bench-2", siloPort: 11212, gatewayPort: 30212));
            await WaitHealthy(new Uri("http://127.0.0.1:18082"));
            await Traffic.RunAsync(Options([new Uri("http://127.0.0.1:18082")], channel, 1000, customers, 32, seed: 8));
            var two = await Traffic.RunAsync(Options([new Uri("http://127.0.0.1:18081"), new Uri("http://127.0.0.1:18082")],
                channel, messages, customers, bestOne.Concurrency, seed: 999));

            // Latency when the engine is not saturated: both nodes at half of the best throughput.
            var best = Math.Max(bestOne.Report.PerSecond, two.PerSecond);
            var half = await Traffic.RunAsync(Options([new Uri("http://127.0.0.1:18081"), new Uri("http://127.0.0.1:18082")],
                channel, messages, customers, bestOne.Concurrency, seed: 4242) with { Rate = best / 2 });

            var stored = (long)(await Scalar(db, "select count(*) from messages"))!;
            Console.WriteLine();
            Console.WriteLine("| run | concurrency | messages/s | p50 ms | p99 ms |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            foreach (var (c, r) in raw) Console.WriteLine($"| raw Npgsql, 1 msg/tx | {c} | {r.PerSecond:F0} | {r.P50Ms:F1} | {r.P99Ms:F1} |");
            foreach (var (c, r) in grouped)
                Console.WriteLine($"| group-committed Npgsql | {c} | {r.PerSecond:F0} | {r.P50Ms:F1} | {r.P99Ms:F1} |");
            foreach (var (c, r) in one) Console.WriteLine($"| engine, 1 node | {c} | {r.PerSecond:F0} | {r.P50Ms:F1} | {r.P99Ms:F1} |");
            Console.WriteLine($"| engine, 2 nodes | {bestOne.Concurrency} | {two.PerSecond:F0} | {two.P50Ms:F1} | {two.P99Ms:F1} |");
            Console.WriteLine($"| engine, 2 nodes at {best / 2:F0} msg/s (half of best) | {bestOne.Concurrency} | " +
                $"{half.PerSecond:F0} | {half.P50Ms:F1} | {half.P99Ms:F1} |");
            Console.WriteLine();
            Console.WriteLine($"ratio engine/raw, 1 node: {bestOne.Report.PerSecond / bestRaw.Report.PerSecond:F2}");
            Console.WriteLine($"ratio engine/raw, 2 nodes: {two.PerSecond / bestRaw.Report.PerSecond:F2}");
            var grouping = bestGrouped.Report.PerSecond;
            Console.WriteLine($"ratio engine/group-committed, 1 node: {bestOne.Report.PerSecond / grouping:F2}");
            Console.WriteLine($"ratio engine/group-committed, 2 nodes: {two.PerSecond / grouping:F2}");
            var failed = one.Sum(r => r.Report.Failed) + two.Failed + half.Failed;
            Console.WriteLine($"failed deliveries: {failed}; messages stored: {stored}");
            return failed == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var n in nodes) { try { n.Kill(true); n.WaitForExit(10_000); } catch (InvalidOperationException) { } }
            NpgsqlConnection.ClearAllPools();
            await Exec(admin, $"drop database if exists {dbName} with (force)");
        }
    }

    private static TrafficOptions Options(Uri[] nodes, (Guid Id, string? PhoneNumberId) channel, int messages, int customers, int concurrency, int seed) =>
        new(nodes, "whatsapp", channel.Id, Secret, null, null, customers, Rate: 0, Duration: TimeSpan.FromMinutes(5),
            DuplicateShare: 0, Concurrency: concurrency, MaxMessages: messages, Seed: seed, PhoneNumberId: channel.PhoneNumberId);

    /// <summary>One message per transaction, one statement per message: the least work a durable, deduplicated ingest can do.</summary>
    private static async Task<TrafficReport> RawAsync(NpgsqlDataSource db, Guid business, Guid channel, int messages, int customers, int concurrency, int seed)
    {
        var latencies = new List<double>();
        var next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
        {
            var random = new Random(seed * 1000 + w);
            await using var conn = await db.OpenConnectionAsync();
            await using var cmd = new NpgsqlCommand(MinimalIngestSql, conn);
            cmd.Parameters.AddWithValue("b", business);
            cmd.Parameters.AddWithValue("ch", channel);
            var ext = cmd.Parameters.AddWithValue("ext", "");
            var pid = cmd.Parameters.AddWithValue("pid", "");
            await cmd.PrepareAsync();
            while (Interlocked.Increment(ref next) <= messages)
            {
                ext.Value = $"raw{seed:000}{random.Next(customers):000000}";
                pid.Value = $"raw.{Guid.NewGuid():N}";
                var started = Stopwatch.GetTimestamp();
                await cmd.ExecuteNonQueryAsync();
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (latencies) latencies.Add(ms);
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        latencies.Sort();
        return new TrafficReport(messages, messages, 0, 0, seconds, Traffic.Percentile(latencies, 0.5), Traffic.Percentile(latencies, 0.99));
    }

    /// <summary>The least work a durable, deduplicated ingest can do for one message: one statement.</summary>
    private const string MinimalIngestSql = """
                with c as (
                    insert into contacts (id, business_id, channel_id, external_id, name, first_seen_at, last_seen_at, created_at, updated_at)
                    values (gen_random_uuid(), @b, @ch, @ext, 'raw', now(), now(), now(), now())
                    on conflict (channel_id, external_id) do update set last_seen_at = now() returning id),
                v as (
                    insert into conversations (id, business_id, channel_id, contact_id, status, opened_at, last_inbound_at, created_at, updated_at, message_count)
                    select gen_random_uuid(), @b, @ch, c.id, 'open', now(), now(), now(), now(), 1 from c
                    on conflict (channel_id, contact_id) where status = 'open'
                    do update set message_count = conversations.message_count + 1, last_inbound_at = now(), updated_at = now(), version = conversations.version + 1
                    returning id, contact_id)
                insert into messages (id, business_id, conversation_id, channel_id, contact_id, direction, provider_message_id,
                              type, text, content, sent_at, created_at, updated_at)
                select gen_random_uuid(), @b, v.id, @ch, v.contact_id, 'in', @pid, 'text', 'raw', '{}', now(), now(), now() from v
                on conflict (channel_id, provider_message_id) do nothing
                """;

    /// <summary>
    /// The same durable writes, group-committed: <paramref name="concurrency"/> producers each enqueue one message and
    /// await its commit; two writer loops drain whatever is queued into one set-based statement (contacts, then their
    /// open conversations, then the messages, each deduplicated as in the single-message statement) and one commit.
    /// </summary>
    private static async Task<TrafficReport> GroupCommittedAsync(NpgsqlDataSource db, Guid business, Guid channel,
        (int Messages, int Customers, int Concurrency) load, int seed)
    {
        var (messages, customers, concurrency) = load;
        var queue = System.Threading.Channels.Channel.CreateUnbounded<(string Ext, string Pid, TaskCompletionSource Done)>();
        var writers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            await using var conn = await db.OpenConnectionAsync();
            var items = new List<(string Ext, string Pid, TaskCompletionSource Done)>();
            while (await queue.Reader.WaitToReadAsync())
            {
                items.Clear();
                while (items.Count < 2000 && queue.Reader.TryRead(out var item)) items.Add(item);
                if (items.Count == 0) continue;
                try
                {
                    await using var cmd = new NpgsqlCommand(GroupIngestSql, conn);
                    cmd.Parameters.AddWithValue("b", business);
                    cmd.Parameters.AddWithValue("ch", channel);
                    cmd.Parameters.AddWithValue("ext", items.Select(i => i.Ext).ToArray());
                    cmd.Parameters.AddWithValue("pid", items.Select(i => i.Pid).ToArray());
                    await cmd.ExecuteNonQueryAsync();   // one statement, one implicit transaction
                    foreach (var i in items) i.Done.TrySetResult();
                }
                catch (Exception e) { foreach (var i in items) i.Done.TrySetException(e); }
            }
        })).ToArray();

        var latencies = new List<double>();
        var next = 0;
        var failed = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
        {
            var random = new Random(seed * 1000 + w);
            while (Interlocked.Increment(ref next) <= messages)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var started = Stopwatch.GetTimestamp();
                var ext = $"grp{seed:000}{random.Next(customers):000000}";
                await queue.Writer.WriteAsync((ext, $"grp.{Guid.NewGuid():N}", done));
                try { await done.Task; } catch (PostgresException) { Interlocked.Increment(ref failed); }
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (latencies) latencies.Add(ms);
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        queue.Writer.Complete();
        await Task.WhenAll(writers);
        latencies.Sort();
        return new TrafficReport(messages, messages - failed, failed, 0, seconds,
            Traffic.Percentile(latencies, 0.5), Traffic.Percentile(latencies, 0.99));
    }

    /// <summary>
    /// <see cref="MinimalIngestSql"/> for a whole batch: a row may be upserted once per statement, so contacts are
    /// taken once per customer and conversations once per contact (with the batch's message count); rows are
    /// locked in key order so two writers never deadlock.
    /// </summary>
    private const string GroupIngestSql = """
        with input as (select * from unnest(@ext::text[], @pid::text[]) as u(ext, pid)),
        c as (
            insert into contacts (id, business_id, channel_id, external_id, name, first_seen_at, last_seen_at,
                                  created_at, updated_at)
            select gen_random_uuid(), @b, @ch, ext, 'grp', now(), now(), now(), now()
              from (select distinct ext from input) d order by ext
            on conflict (channel_id, external_id) do update set last_seen_at = now() returning id, external_id),
        counts as (
            select c.id as contact_id, count(*) as n from input join c on c.external_id = input.ext group by c.id),
        v as (
            insert into conversations (id, business_id, channel_id, contact_id, status, opened_at, last_inbound_at,
                                       created_at, updated_at, message_count)
            select gen_random_uuid(), @b, @ch, contact_id, 'open', now(), now(), now(), now(), n
              from counts order by contact_id
            on conflict (channel_id, contact_id) where status = 'open'
            do update set message_count = conversations.message_count + excluded.message_count, last_inbound_at = now(),
                          updated_at = now(), version = conversations.version + 1
            returning id, contact_id)
        insert into messages (id, business_id, conversation_id, channel_id, contact_id, direction, provider_message_id,
                              type, text, content, sent_at, created_at, updated_at)
        select gen_random_uuid(), @b, v.id, @ch, v.contact_id, 'in', input.pid, 'text', 'grp', '{}', now(), now(), now()
          from input join c on c.external_id = input.ext join v on v.contact_id = c.id
        on conflict (channel_id, provider_message_id) do nothing
        """;

    private static Process StartNode(string cs, int port, string nodeId, int siloPort, int gatewayPort)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "Api.dll")}\" --urls http://127.0.0.1:{port}")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["ConnectionStrings__Postgres"] = cs;
        psi.Environment["Engine__BootstrapAdminKey"] = AdminKey;
        psi.Environment["Engine__NodeId"] = nodeId;
        psi.Environment["Engine__Cluster__ClusterId"] = "bench";
        psi.Environment["Engine__Cluster__SiloPort"] = siloPort.ToString();
        psi.Environment["Engine__Cluster__GatewayPort"] = gatewayPort.ToString();
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[{nodeId}] {e.Data}"); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static async Task WaitHealthy(Uri node)
    {
        using var client = new HttpClient { BaseAddress = node };
        for (var i = 0; i < 300; i++)
        {
            try { if ((await client.GetAsync("/health")).IsSuccessStatusCode) return; }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Node {node} did not become healthy.");
    }

    private static async Task Exec(string cs, string sql)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<object?> Scalar(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return await cmd.ExecuteScalarAsync();
    }
}
