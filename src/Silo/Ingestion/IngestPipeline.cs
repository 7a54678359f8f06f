using System.Threading.Channels;
using Engine.Grains.Interfaces.Ingestion;
using Engine.Silo.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ChannelRecord = Engine.Silo.Channels.Channel;
// Where each identity of a committed group went: its customer (merged root) and conversation.
using Stored = System.Collections.Generic.IReadOnlyDictionary<(System.Guid Channel, string ExternalId),
    Engine.Grains.Interfaces.Ingestion.InboundStored>;

namespace Engine.Silo.Ingestion;

/// <summary>
/// Group commit for webhook deliveries. Concurrent deliveries queue here; a few writers each take
/// whatever has queued (up to a limit) and commit it in one transaction, so one WAL flush serves many
/// deliveries. Each delivery's task completes only after the transaction holding its data committed,
/// and the webhook acknowledges only then. If a shared transaction fails, its deliveries are retried
/// one by one so a single bad delivery cannot fail the others.
/// </summary>
public sealed class IngestPipeline : IHostedService, IAsyncDisposable
{
    /// <summary>A delivery waiting for its commit, with the trace it arrived in.</summary>
    private sealed record Pending(InboundWriter.Delivery Delivery, TaskCompletionSource<Stored> Done,
        System.Diagnostics.ActivityContext Trace);

    private static readonly Stored Nothing = new Dictionary<(Guid, string), InboundStored>();

    private readonly Channel<Pending> _queue = System.Threading.Channels.Channel.CreateUnbounded<Pending>(new() { SingleWriter = false });
    private readonly Transactions _runtime;
    private readonly TimeProvider _clock;
    private readonly ILogger<IngestPipeline> _log;
    private readonly int _maxBatch;
    private readonly Random _random;
    private readonly Task[] _writers;

    private readonly IGrainFactory _grains;

    private readonly EngineMetrics _metrics;

    public IngestPipeline(Transactions runtime, IGrainFactory grains, TimeProvider clock, IOptions<EngineOptions> options,
        ILogger<IngestPipeline> log, EngineMetrics metrics)
    {
        _metrics = metrics;
        _runtime = runtime;
        _grains = grains;
        _clock = clock;
        _log = log;
        _maxBatch = options.Value.IngestMaxBatch;
        _random = options.Value.BotSeed is { } seed ? new Random(seed) : Random.Shared;
        _writers = Enumerable.Range(0, Math.Max(1, options.Value.IngestWriters)).Select(_ => Task.Run(WriteLoopAsync)).ToArray();
    }

    /// <summary>Completes once everything in <paramref name="batch"/> is durably committed.</summary>
    public Task<Stored> IngestAsync(ChannelRecord channel, InboundBatch batch)
    {
        if (batch.Count == 0) return Task.FromResult(Nothing);
        var done = new TaskCompletionSource<Stored>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(new InboundWriter.Delivery(channel, batch), done,
                System.Diagnostics.Activity.Current?.Context ?? default)))
            throw new InvalidOperationException("The ingest pipeline is stopping.");
        return done.Task;
    }

    private async Task WriteLoopAsync()
    {
        var group = new List<Pending>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            var items = 0;
            while (items < _maxBatch && _queue.Reader.TryRead(out var next))
            {
                group.Add(next);
                items += next.Delivery.Batch.Count;
            }
            if (group.Count == 0) continue;
            try
            {
                var stored = await CommitAsync(group);
                foreach (var p in group) p.Done.TrySetResult(stored);
            }
            catch (Exception e) when (group.Count > 1)
            {
                _log.LogWarning(e, "Group of {Count} deliveries failed; committing them one by one.", group.Count);
                foreach (var p in group)
                {
                    try { p.Done.TrySetResult(await CommitAsync([p])); }
                    catch (Exception one) { p.Done.TrySetException(one); }
                }
            }
            catch (Exception e)
            {
                group[0].Done.TrySetException(e);
            }
        }
    }

    private async Task<Stored> CommitAsync(List<Pending> group)
    {
        var automated = new AutomatedLedger(_grains, _log);
        // One span for the shared transaction: in the first delivery's trace, linked from the others'.
        using var span = EngineTracing.Source.StartActivity("ingest commit", System.Diagnostics.ActivityKind.Internal,
            group[0].Trace, links: group.Skip(1).Where(p => p.Trace != default)
                .Select(p => new System.Diagnostics.ActivityLink(p.Trace)));
        span?.SetTag("engine.commit.deliveries", group.Count)
            .SetTag("engine.commit.items", group.Sum(p => p.Delivery.Batch.Count));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var stored = await _runtime.CallAsync(async (conn, tx, ct) =>
            {
                await automated.SettleAsync();   // a retried attempt first frees what the failed one reserved
                return await InboundWriter.WriteAsync(conn, tx, group.Select(p => p.Delivery).ToList(),
                    _clock.GetUtcNow(), ct, automated, _random);
            }, CancellationToken.None);
            _metrics.Committed(group.Sum(p => p.Delivery.Batch.Count), System.Diagnostics.Stopwatch.GetElapsedTime(started));
            foreach (var kind in group.GroupBy(p => p.Delivery.Channel.Kind))
                _metrics.Ingested(kind.Key, kind.Sum(p => p.Delivery.Batch.Count));
            return stored;
        }
        finally { await automated.SettleAsync(); }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await Task.WhenAny(Task.WhenAll(_writers), Task.Delay(Timeout.Infinite, cancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }
}
