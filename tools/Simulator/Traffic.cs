using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Engine.Simulator;

public sealed record TrafficOptions(
    Uri[] Nodes, string Kind, Guid ChannelId, string Secret, string? AesKey, string? AppId,
    int Customers, double Rate, TimeSpan Duration, double DuplicateShare, int Concurrency, int? MaxMessages = null, int Seed = 1,
    string? PhoneNumberId = null);

public sealed record TrafficReport(int Sent, int Acknowledged, int Failed, int Duplicates, double Seconds, double P50Ms, double P99Ms)
{
    public double PerSecond => Acknowledged / Math.Max(Seconds, 0.001);
    public override string ToString() =>
        $"sent {Sent} deliveries ({Duplicates} duplicates), acknowledged {Acknowledged}, failed {Failed}, " +
        $"{PerSecond:F0}/s over {Seconds:F1} s, ack latency p50 {P50Ms:F1} ms p99 {P99Ms:F1} ms";
}

/// <summary>N simulated customers writing at a chosen rate (0 = as fast as the concurrency allows), with duplicate deliveries mixed in, round-robin over the nodes.</summary>
public static class Traffic
{
    public static async Task<TrafficReport> RunAsync(TrafficOptions o, CancellationToken ct = default)
    {
        var hooks = new Webhooks(o.Kind, o.ChannelId, o.Secret, o.AesKey, o.AppId, o.PhoneNumberId);
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        var clients = o.Nodes.Select(n => new HttpClient(handler, false) { BaseAddress = n, Timeout = TimeSpan.FromSeconds(30) }).ToArray();
        var customers = Enumerable.Range(0, o.Customers)
            .Select(i => o.Kind == "wechat" ? $"oSIM{o.Seed:0000}{i:000000}xxxxxxxxxxxxxxxxx" : $"66{o.Seed % 100:00}{i:00000000}").ToArray();
        var latencies = new List<double>();
        int sent = 0, acked = 0, failed = 0, dupes = 0, next = 0;
        var failures = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var clock = Stopwatch.StartNew();
        var deadline = o.Duration;

        async Task Worker(int w)
        {
            var random = new Random(o.Seed * 1000 + w);
            (string, string)[]? last = null;
            while (!ct.IsCancellationRequested && clock.Elapsed < deadline)
            {
                var n = Interlocked.Increment(ref next);
                if (o.MaxMessages is { } max && n > max) return;
                if (o.Rate > 0)
                {
                    var due = TimeSpan.FromSeconds(n / o.Rate);
                    if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed, ct);
                }
                var duplicate = last is not null && random.NextDouble() < o.DuplicateShare;
                var messages = duplicate ? last! : [(hooks.NewId(random), customers[random.Next(customers.Length)])];
                if (duplicate) Interlocked.Increment(ref dupes);
                using var request = hooks.Request(messages, random, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
                last = messages;
                var started = Stopwatch.GetTimestamp();
                Interlocked.Increment(ref sent);
                try
                {
                    using var response = await clients[n % clients.Length].SendAsync(request, ct);
                    var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (response.IsSuccessStatusCode) { Interlocked.Increment(ref acked); lock (latencies) latencies.Add(ms); }
                    else
                    {
                        Interlocked.Increment(ref failed);
                        failures.AddOrUpdate(((int)response.StatusCode).ToString(), 1, (_, k) => k + 1);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref failed);
                    failures.AddOrUpdate(e.GetType().Name, 1, (_, k) => k + 1);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, o.Concurrency).Select(Worker));
        if (!failures.IsEmpty)
            Console.Error.WriteLine($"failed deliveries by answer: {string.Join(", ", failures.Select(f => $"{f.Key} x{f.Value}"))}");
        var seconds = clock.Elapsed.TotalSeconds;
        latencies.Sort();
        return new TrafficReport(sent, acked, failed, dupes, seconds, Percentile(latencies, 0.5), Percentile(latencies, 0.99));
    }

    public static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>Creates a channel through the REST API for a demo run; returns its id and (WhatsApp) phone number
    /// id.</summary>
    public static async Task<(Guid Id, string? PhoneNumberId)> CreateChannelAsync(Uri node, string adminKey, string kind, string secret, string? aesKey, string? appId, string? apiBaseUrl = null)
    {
        using var client = new HttpClient { BaseAddress = node };
        client.DefaultRequestHeaders.Authorization = new("Bearer", adminKey);
        var phoneNumberId = kind == "wechat" ? null : Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString();
        object body = kind == "wechat"
            ? new { kind, name = "Simulated WeChat", appId = appId ?? "wxsimulator00001", token = secret, appSecret = "sim", encodingAesKey = aesKey, apiBaseUrl }
            : new { kind, name = "Simulated WhatsApp", phoneNumberId, appSecret = secret, verifyToken = "simulator", accessToken = "simulator", apiBaseUrl };
        var response = await client.PostAsJsonAsync("/api/v1/channels", body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Creating the channel failed: {(int)response.StatusCode} {text}");
        return (JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid(), phoneNumberId);
    }
}
