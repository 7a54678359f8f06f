using System.Net;
using Engine.Silo.Conversations;
using Engine.Silo.Runtime;
using Engine.Tests.Infrastructure;
using Npgsql;

namespace Engine.Tests.Silo;

/// <summary>
/// A grain's turn reads its conversation without locking the row and writes it back fenced by the version it read: a
/// write that got there first (from another grain's transaction, or a duplicate activation) makes the fence fail,
/// nothing of the stale turn stays, and <see cref="Transactions"/> runs the turn again on fresh state.
/// </summary>
public class FencedTransactionTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    private Transactions Transactions => f.Host.Service<Transactions>();

    private async Task<Guid> ConversationAsync()
    {
        var phone = "4478" + Random.Shared.NextInt64(10_000_000, 99_999_999);
        var r = await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), "hi"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return await f.Db.ScalarAsync<Guid>(
            "select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p", ("p", phone));
    }

    /// <summary>What the customer's grain does to an open conversation when the customer becomes a VIP.</summary>
    private Task RaisePriorityElsewhereAsync(Guid conversation) =>
        f.Db.ExecAsync("update conversations set priority = 1, version = version + 1 where id = @c", ("c", conversation));

    private static async Task SaveAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        Engine.Grains.Interfaces.Conversations.ConversationState state, CancellationToken ct)
    {
        var batch = new NpgsqlBatch(conn, tx);
        var check = ConversationStore.Save(batch, [state]);
        await batch.ExecuteNonQueryAsync(ct);
        check();
    }

    [Fact]
    public async Task A_turn_that_read_before_another_write_is_refused_and_leaves_nothing()
    {
        var id = await ConversationAsync();
        await Assert.ThrowsAsync<VersionConflictException>(async () =>
        {
            await using var conn = await f.Db.DataSource.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            var state = (await ConversationStore.LoadAsync(conn, tx, id, CancellationToken.None))!;
            await RaisePriorityElsewhereAsync(id);   // not blocked: the turn took no row lock
            await SaveAsync(conn, tx, state with { UnreadCount = 0 }, CancellationToken.None);
            await tx.CommitAsync();
        });

        Assert.Equal(1, await f.Db.ScalarAsync<int>("select priority from conversations where id = @c", ("c", id)));
        Assert.Equal(1, await f.Db.ScalarAsync<int>("select unread_count from conversations where id = @c", ("c", id)));
    }

    [Fact]
    public async Task A_refused_turn_runs_again_on_fresh_state_and_keeps_both_writes()
    {
        var id = await ConversationAsync();
        var attempts = 0;
        await Transactions.CallAsync(async (conn, tx, ct) =>
        {
            var state = (await ConversationStore.LoadAsync(conn, tx, id, ct))!;
            if (++attempts == 1) await RaisePriorityElsewhereAsync(id);
            await SaveAsync(conn, tx, state with { UnreadCount = 0 }, ct);
        }, CancellationToken.None);

        Assert.Equal(2, attempts);
        Assert.Equal(1, await f.Db.ScalarAsync<int>("select priority from conversations where id = @c", ("c", id)));
        Assert.Equal(0, await f.Db.ScalarAsync<int>("select unread_count from conversations where id = @c", ("c", id)));
    }
}
