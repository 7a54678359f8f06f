using Microsoft.Extensions.Time.Testing;
using Engine.Silo;
using Engine.Silo.Runtime;
using Engine.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Engine.Tests.Silo;

public class OutboxTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private readonly FakeTimeProvider _clock = TestClock.Create();
    private static readonly Guid Business = Guid.NewGuid();

    public Task InitializeAsync() => _db.InitializeAsync();
    public Task DisposeAsync() => _db.DisposeAsync();

    /// <summary>A handler that answers from a script and records what it was asked to do.</summary>
    private sealed class Scripted(params OutboxResult[] script) : IOutboxHandler
    {
        private int _calls;
        public List<string> Seen { get; } = [];
        public string Topic => "test.effect";
        public Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
        {
            lock (Seen) Seen.Add(item.IdempotencyKey);
            return Task.FromResult(script[Math.Min(_calls++, script.Length - 1)]);
        }
    }

    private OutboxDispatcher Node(string id, IOutboxHandler handler) =>
        new(_db.DataSource, _clock, new NodeIdentity(id), [handler], Options.Create(new EngineOptions()));

    private async Task EnqueueAsync(string key, string? orderingKey = null)
    {
        await using var conn = await _db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var effects = new Effects();
        effects.Add("test", Guid.NewGuid(), Business, new Engine.Grains.Interfaces.Runtime.Decision<int>(0, [], [],
            [new Engine.Grains.Interfaces.Runtime.OutboxIntent("test.effect", key, new { key }, orderingKey)]), _clock.GetUtcNow());
        var batch = new NpgsqlBatch(conn, tx);
        effects.AppendTo(batch, _clock.GetUtcNow());
        await batch.ExecuteNonQueryAsync();
        await tx.CommitAsync();
    }

    private Task<string> StatusOf(string key) => _db.ScalarAsync<string>("select status from outbox where idempotency_key = @k", ("k", key));

    [Fact]
    public async Task A_failing_effect_is_retried_with_back_off_until_it_succeeds()
    {
        var handler = new Scripted(new OutboxResult.Retry("503"), new OutboxResult.Retry("timeout"), new OutboxResult.Done());
        var node = Node("a", handler);
        await EnqueueAsync("k1");
        await EnqueueAsync("k1"); // the same key never becomes a second row

        await node.RunDueAsync(CancellationToken.None);
        Assert.Equal("pending", await StatusOf("k1"));
        await node.RunDueAsync(CancellationToken.None);
        Assert.Single(handler.Seen); // backing off: not due yet

        for (var i = 0; i < 2; i++)
        {
            _clock.Advance(TimeSpan.FromHours(1));
            await node.RunDueAsync(CancellationToken.None);
        }
        Assert.Equal("done", await StatusOf("k1"));
        Assert.Equal(3, handler.Seen.Count);
        Assert.Equal(3, await _db.ScalarAsync<int>("select attempts from outbox where idempotency_key = 'k1'"));
    }

    [Fact]
    public async Task A_permanent_failure_is_recorded_with_its_reason()
    {
        await EnqueueAsync("k2");
        await Node("a", new Scripted(new OutboxResult.Failed("131026: recipient cannot be reached"))).RunDueAsync(CancellationToken.None);
        Assert.Equal("failed", await StatusOf("k2"));
        Assert.Equal("131026: recipient cannot be reached", await _db.ScalarAsync<string>("select last_error from outbox where idempotency_key = 'k2'"));
    }

    [Fact]
    public async Task A_row_claimed_by_a_dead_node_is_redriven_by_another_after_the_lease()
    {
        await EnqueueAsync("k3");
        var dead = Node("dead", new Scripted(new OutboxResult.Done()));
        Assert.Single(await dead.ClaimAsync(10, CancellationToken.None)); // claims, then dies
        var survivorHandler = new Scripted(new OutboxResult.Done());
        var survivor = Node("survivor", survivorHandler);
        await survivor.RunDueAsync(CancellationToken.None);
        Assert.Empty(survivorHandler.Seen); // leased

        _clock.Advance(TimeSpan.FromSeconds(61));
        await survivor.RunDueAsync(CancellationToken.None);
        Assert.Equal(["k3"], survivorHandler.Seen);
        Assert.Equal("done", await StatusOf("k3"));
    }

    [Fact]
    public async Task Rows_with_one_ordering_key_go_out_in_order()
    {
        await EnqueueAsync("o1", "conversation-1");
        await EnqueueAsync("o2", "conversation-1");
        await EnqueueAsync("p1", "conversation-2");
        var handler = new Scripted(new OutboxResult.Retry("down"), new OutboxResult.Done());
        var node = Node("a", handler);
        await node.RunDueAsync(CancellationToken.None);
        // o1 failed and waits: o2 must not overtake it; the other conversation is not held up.
        Assert.DoesNotContain("o2", handler.Seen);
        Assert.Contains("p1", handler.Seen);
        _clock.Advance(TimeSpan.FromHours(1));
        await node.RunDueAsync(CancellationToken.None);
        await node.RunDueAsync(CancellationToken.None);
        Assert.Equal("done", await StatusOf("o1"));
        Assert.Equal("done", await StatusOf("o2"));
        Assert.True(handler.Seen.LastIndexOf("o1") < handler.Seen.IndexOf("o2"));
    }
}
