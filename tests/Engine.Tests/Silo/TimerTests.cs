using System.Net;
using Engine.Grains.Interfaces.Conversations;
using Engine.Silo;
using Engine.Silo.Runtime;
using Engine.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Engine.Tests.Silo;

/// <summary>Durable timers, driven by a fake clock: the conversation's response-window timer is the real timer under test.</summary>
public class TimerTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    private static readonly DateTimeOffset Sent = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    /// <summary>A timer service as another node would run it (own node id) on the same database.</summary>
    private TimerService Node(string id) => new(
        f.Host.Service<NpgsqlDataSource>(), f.Host.Service<EntityRuntime>(), f.Clock, new NodeIdentity(id),
        f.Host.Services.GetServices<ITimerHandler>(), f.Host.Service<IOptions<EngineOptions>>());

    private async Task<Guid> ConversationWithMessageAt(DateTimeOffset sentAt, string? phone = null)
    {
        phone ??= "4477" + Random.Shared.NextInt64(10_000_000, 99_999_999);
        var r = await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), sentAt.ToUnixTimeSeconds(), "hi"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return await f.Db.ScalarAsync<Guid>("select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p and v.status = 'open'", ("p", phone));
    }

    private Task<long> WindowClosedEvents(Guid conversation) =>
        f.Db.CountAsync("from entity_events where entity_id = @id and type = @t", ("id", conversation), ("t", ConversationEvents.WindowClosed));

    [Fact]
    public async Task A_timer_fires_once_when_due_and_not_before()
    {
        f.Clock.Set(Sent.AddHours(1));
        var conversation = await ConversationWithMessageAt(Sent);
        var node = Node("timer-a");

        f.Clock.Set(Sent.AddHours(24).AddSeconds(-1));
        await node.RunDueAsync(CancellationToken.None);
        Assert.Equal(0, await WindowClosedEvents(conversation));

        f.Clock.Set(Sent.AddHours(24));
        await node.RunDueAsync(CancellationToken.None);
        await node.RunDueAsync(CancellationToken.None);
        await Node("timer-b").RunDueAsync(CancellationToken.None);
        Assert.Equal(1, await WindowClosedEvents(conversation));
        Assert.Equal(0, await f.Db.CountAsync("from timers where entity_id = @id and entity_type = 'conversation'", ("id", conversation)));
    }

    [Fact]
    public async Task A_timer_claimed_by_a_node_that_dies_is_fired_once_by_another_after_the_lease()
    {
        f.Clock.Set(Sent.AddHours(1));
        var conversation = await ConversationWithMessageAt(Sent);
        f.Clock.Set(Sent.AddHours(25));

        var dying = Node("dies-mid-lease");
        var claimed = (await dying.ClaimDueAsync(1000, CancellationToken.None)).Single(t => t.EntityId == conversation && t.EntityType == "conversation");
        // The node dies here: it never fires. While its lease holds, nobody else takes the timer.
        var survivor = Node("survivor");
        Assert.DoesNotContain(await survivor.ClaimDueAsync(1000, CancellationToken.None), t => t.EntityId == conversation);

        f.Clock.Advance(TimeSpan.FromSeconds(31)); // the 30 s lease runs out
        var reclaimed = (await survivor.ClaimDueAsync(1000, CancellationToken.None)).Single(t => t.EntityId == conversation && t.EntityType == "conversation");
        Assert.True(await survivor.FireAsync(reclaimed, CancellationToken.None));
        // If the first node comes back and fires its stale claim, nothing happens.
        Assert.False(await dying.FireAsync(claimed, CancellationToken.None));
        Assert.Equal(1, await WindowClosedEvents(conversation));
    }

    [Fact]
    public async Task Rescheduling_bumps_the_generation_and_the_old_firing_does_nothing()
    {
        var phone = "4478" + Random.Shared.NextInt64(10_000_000, 99_999_999);
        f.Clock.Set(Sent.AddHours(1));
        var conversation = await ConversationWithMessageAt(Sent, phone);
        f.Clock.Set(Sent.AddHours(24).AddSeconds(5));
        var node = Node("resched");
        var claimed = (await node.ClaimDueAsync(1000, CancellationToken.None)).Single(t => t.EntityId == conversation && t.EntityType == "conversation");

        // The customer writes again (message sent just before the window closed): the window moves and the timer is rescheduled.
        var r = await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), Sent.AddHours(23).ToUnixTimeSeconds(), "still there?"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var generation = await f.Db.ScalarAsync<long>("select generation from timers where entity_id = @id and entity_type = 'conversation'", ("id", conversation));
        Assert.True(generation > claimed.Generation);

        Assert.False(await node.FireAsync(claimed, CancellationToken.None));
        Assert.Equal(0, await WindowClosedEvents(conversation));

        f.Clock.Set(Sent.AddHours(47));
        await node.RunDueAsync(CancellationToken.None);
        Assert.Equal(1, await WindowClosedEvents(conversation));
    }
}
