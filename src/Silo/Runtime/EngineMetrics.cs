using System.Diagnostics.Metrics;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Runtime;

/// <summary>
/// The engine's own metrics (meter <c>Engine</c>), exported with HTTP's, Npgsql's and Orleans' at <c>/metrics</c>:
/// webhook deliveries and their acknowledgement latency, messages ingested, group commits, provider send results, alerts
/// raised — counted where they happen — and, read from the database when scraped (at most every 5 seconds), the outbox
/// by topic, each team's queue, agents online and conversations by state.
/// </summary>
public sealed class EngineMetrics
{
    public const string MeterName = "Engine";
    private static readonly TimeSpan SnapshotAge = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _db;
    private readonly TimeProvider _clock;
    private readonly object _gate = new();
    private Snapshot? _snapshot;
    private DateTimeOffset _takenAt;

    private readonly Counter<long> _webhooks, _ingested, _sends, _alerts;
    private readonly Histogram<double> _ack, _commitDuration;
    private readonly Histogram<long> _commitSize;

    public EngineMetrics(IMeterFactory meters, NpgsqlDataSource db, TimeProvider clock)
    {
        (_db, _clock) = (db, clock);
        var meter = meters.Create(MeterName);
        _webhooks = meter.CreateCounter<long>("engine.webhook.deliveries", "{delivery}",
            "Provider webhook deliveries by channel kind and outcome.");
        _ack = meter.CreateHistogram<double>("engine.webhook.ack.duration", "s",
            "From a webhook's arrival to its answer (after the commit).");
        _ingested = meter.CreateCounter<long>("engine.messages.ingested", "{message}",
            "Customer messages and statuses committed, by channel kind.");
        _commitSize = meter.CreateHistogram<long>("engine.ingest.commit.size", "{item}", "Items in one group commit.");
        _commitDuration = meter.CreateHistogram<double>("engine.ingest.commit.duration", "s", "One group commit's transaction.");
        _sends = meter.CreateCounter<long>("engine.provider.sends", "{send}",
            "Provider send attempts by provider, result and error code.");
        _alerts = meter.CreateCounter<long>("engine.alerts.raised", "{alert}", "Alerts raised, by kind.");

        // Gauges read from the database, labelled by business.
        void Gauge<T>(string name, string unit, string about, Func<Snapshot, IEnumerable<(T Value, string Business, string? Key,
            string? KeyValue)>> read) where T : struct =>
            meter.CreateObservableGauge(name, () => read(Take()).Select(x => x.Key is null
                ? new Measurement<T>(x.Value, Tag("business", x.Business))
                : new Measurement<T>(x.Value, Tag("business", x.Business), Tag(x.Key, x.KeyValue))), unit, about);
        Gauge("engine.outbox.depth", "{row}", "Pending outbox rows by topic.",
            s => s.Outbox.Select(o => (o.Depth, o.Business, (string?)"topic", (string?)o.Topic)));
        Gauge("engine.outbox.oldest.age", "s", "Age of the oldest pending outbox row by topic.",
            s => s.Outbox.Select(o => (o.OldestSeconds, o.Business, (string?)"topic", (string?)o.Topic)));
        Gauge("engine.queue.length", "{conversation}", "Conversations waiting in each team's queue.",
            s => s.Queues.Select(q => (q.Length, q.Business, (string?)"team", (string?)q.Team)));
        Gauge("engine.queue.oldest.wait", "s", "How long the first in each team's queue has waited.",
            s => s.Queues.Select(q => (q.OldestSeconds, q.Business, (string?)"team", (string?)q.Team)));
        Gauge("engine.agents.online", "{agent}", "Agents online (status online, active in the last 5 minutes).",
            s => s.AgentsOnline.Select(a => (a.Count, a.Business, (string?)null, (string?)null)));
        Gauge("engine.conversations", "{conversation}", "Open conversations by state: bot (no team yet), queued, assigned.",
            s => s.Conversations.Select(c => (c.Count, c.Business, (string?)"state", (string?)c.State)));
    }

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    public void WebhookAnswered(string channelKind, int status, TimeSpan took)
    {
        var outcome = status switch { < 300 => "accepted", 401 or 403 => "refused", < 500 => "invalid", _ => "error" };
        _webhooks.Add(1, Tag("channel_kind", channelKind), Tag("outcome", outcome));
        _ack.Record(took.TotalSeconds, Tag("channel_kind", channelKind));
    }

    public void Ingested(string channelKind, int count) => _ingested.Add(count, Tag("channel_kind", channelKind));

    public void Committed(int items, TimeSpan took)
    {
        _commitSize.Record(items);
        _commitDuration.Record(took.TotalSeconds);
    }

    public void Sent(string provider, string result, int? code) =>
        _sends.Add(1, Tag("provider", provider), Tag("result", result), Tag("code", code?.ToString() ?? ""));

    public void AlertRaised(string kind) => _alerts.Add(1, Tag("kind", kind));

    /// <summary>Per business (tagged <c>business</c>): one engine serves several.</summary>
    private sealed record Snapshot(
        List<(string Topic, string Business, long Depth, double OldestSeconds)> Outbox,
        List<(string Team, string Business, long Length, double OldestSeconds)> Queues,
        List<(string Business, long Count)> AgentsOnline, List<(string State, string Business, long Count)> Conversations);

    /// <summary>The database-read figures, taken once for all the gauges of a scrape.</summary>
    private Snapshot Take()
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            if (_snapshot is not null && now - _takenAt < SnapshotAge && now >= _takenAt) return _snapshot;
            using var conn = _db.OpenConnection();
            using var batch = new NpgsqlBatch(conn);
            foreach (var sql in new[]
            {
                """
                select topic, business_id::text, count(*), extract(epoch from @now - min(created_at))::float8
                  from outbox where status = 'pending' group by 1, 2
                """,
                """
                select coalesce(t.name, c.team_id::text), c.business_id::text, count(*),
                       extract(epoch from @now - min(coalesce(c.queued_at, c.opened_at)))::float8
                  from conversations c left join teams t on t.id = c.team_id
                 where c.status = 'open' and c.assignee_id is null and c.team_id is not null group by 1, 2
                """,
                """
                select business_id::text, count(*) from users
                 where presence = 'online' and disabled_at is null and last_active_at > @now - interval '5 minutes' group by 1
                """,
                """
                select case when assignee_id is not null then 'assigned' when team_id is not null then 'queued' else 'bot' end,
                       business_id::text, count(*)
                  from conversations where status = 'open' group by 1, 2
                """,
            })
            {
                var cmd = new NpgsqlBatchCommand(sql);
                cmd.Parameters.Add(new NpgsqlParameter("now", now));
                batch.BatchCommands.Add(cmd);
            }
            using var r = batch.ExecuteReader();
            var outbox = new List<(string, string, long, double)>();
            while (r.Read()) outbox.Add((r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetDouble(3)));
            r.NextResult();
            var queues = new List<(string, string, long, double)>();
            while (r.Read()) queues.Add((r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetDouble(3)));
            r.NextResult();
            var online = new List<(string, long)>();
            while (r.Read()) online.Add((r.GetString(0), r.GetInt64(1)));
            r.NextResult();
            var conversations = new List<(string, string, long)>();
            while (r.Read()) conversations.Add((r.GetString(0), r.GetString(1), r.GetInt64(2)));
            (_snapshot, _takenAt) = (new Snapshot(outbox, queues, online, conversations), now);
            return _snapshot;
        }
    }
}
