using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Engine.Silo.Database;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Engine.Silo.Live;

/// <summary>What the live stream carries: enough to know what changed; the client reads the rest through the REST API, which applies each role's access.</summary>
public sealed record LiveEvent(long Id, string Type, string EntityType, Guid EntityId, DateTimeOffset At, Guid? AgentId);

/// <summary>
/// Live updates for the web app, on every node: while anyone is listening the node reads new rows of
/// <c>entity_events</c> (written by whichever node did the work) and hands them to its listeners. Event ids are taken
/// before commit, so a transaction can commit an id lower than one already seen: each read looks back over a window
/// of recent ids and skips what it delivered.
/// </summary>
public sealed class EventStream(NpgsqlDataSource db, IOptions<EngineOptions> options, ILogger<EventStream> log) : BackgroundService
{
    private const int LookBack = 2000;
    private readonly ConcurrentDictionary<Guid, (Guid Business, Channel<LiveEvent> Channel)> _listeners = new();
    private readonly SortedSet<long> _delivered = [];
    private long _cursor = -1;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Listens to one business from now on: events committed after this returns reach the reader.</summary>
    public async Task<(Guid Id, ChannelReader<LiveEvent> Reader)> SubscribeAsync(Guid business, CancellationToken ct)
    {
        var id = Guid.NewGuid();
        var channel = Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
        _listeners[id] = (business, channel);
        await _gate.WaitAsync(ct);
        try
        {
            if (_cursor < 0) await using (var conn = await db.OpenConnectionAsync(ct)) await StartAsync(conn, ct);
        }
        finally { _gate.Release(); }
        return (id, channel.Reader);
    }

    public void Unsubscribe(Guid id)
    {
        if (_listeners.TryRemove(id, out var l)) l.Channel.Writer.TryComplete();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _gate.WaitAsync(stoppingToken);
                try
                {
                    if (_listeners.IsEmpty) _cursor = -1;   // nobody listening: start from "now" when someone does
                    else await PollAsync(stoppingToken);
                }
                finally { _gate.Release(); }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) { log.LogWarning(e, "Reading live events failed; retrying."); }
            try { await Task.Delay(options.Value.LivePollInterval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        if (_cursor < 0) { await StartAsync(conn, ct); return; }
        var rows = await Sql.QueryAsync(conn, null, """
            select id, business_id, type, entity_type, entity_id, occurred_at, data->>'agentId' from entity_events where id > @from order by id limit 5000
            """, r => (Business: r.GetGuid(1), Event: new LiveEvent(r.GetInt64(0), r.GetString(2), r.GetString(3), r.GetGuid(4), r.Time(5),
                r.IsDBNull(6) ? null : Guid.TryParse(r.GetString(6), out var a) ? a : null)), ct, ("from", Math.Max(0, _cursor - LookBack)));
        foreach (var (business, e) in rows)
        {
            if (e.Id <= _cursor - LookBack || !_delivered.Add(e.Id)) continue;
            foreach (var l in _listeners.Values)
                if (l.Business == business) l.Channel.Writer.TryWrite(e);
        }
        if (rows.Count > 0) _cursor = Math.Max(_cursor, rows[^1].Event.Id);
        _delivered.RemoveWhere(id => id <= _cursor - LookBack);
    }

    private async Task StartAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        _cursor = (await Sql.QueryAsync(conn, null, "select coalesce(max(id), 0) from entity_events", r => r.GetInt64(0), ct)).Single();
        _delivered.Clear();
    }

    public static string Serialize(LiveEvent e) => JsonSerializer.Serialize(e, Runtime.Effects.Json);
}
