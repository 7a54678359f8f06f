using System.Net;
using Engine.Grains.Deadlines;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Deadlines;
using Engine.Silo.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Silo;

/// <summary>
/// Deadlines owned by grains, driven by a fake clock: the conversation's response-window deadline and the lock's
/// idle release are the real deadlines under test; the grains fire them through the store, fenced by generation.
/// </summary>
public class TimerTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    private static readonly DateTimeOffset Sent = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    private DeadlineSweep Sweep => f.Host.Service<DeadlineSweep>();
    private DeadlineStore Store => f.Host.Service<DeadlineStore>();

    private async Task<Guid> ConversationWithMessageAt(DateTimeOffset sentAt, string? phone = null)
    {
        phone ??= "4477" + Random.Shared.NextInt64(10_000_000, 99_999_999);
        var r = await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), sentAt.ToUnixTimeSeconds(), "hi"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return await f.Db.ScalarAsync<Guid>("select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p and v.status = 'open'", ("p", phone));
    }

    private Task<long> WindowClosedEvents(Guid conversation) =>
        f.Db.CountAsync("from entity_events where entity_id = @id and type = @t", ("id", conversation), ("t", ConversationEvents.WindowClosed));

    private async Task<Deadline> WindowDeadline(Guid conversation) =>
        (await Store.LoadAsync(conversation, [ConversationGrain.EntityType], CancellationToken.None)).Single(d => d.Kind == ConversationTimers.ResponseWindow);

    [Fact]
    public async Task A_deadline_fires_once_when_due_and_not_before()
    {
        f.Clock.Set(Sent.AddHours(1));
        var conversation = await ConversationWithMessageAt(Sent);
        var grain = f.Host.Service<IGrainFactory>().GetGrain<IConversationGrain>(GrainKeys.Conversation(conversation));

        f.Clock.Set(Sent.AddHours(24).AddSeconds(-1));
        await Sweep.RunDueAsync(CancellationToken.None);
        Assert.Equal(0, await grain.FireDue());
        Assert.Equal(0, await WindowClosedEvents(conversation));

        f.Clock.Set(Sent.AddHours(24));
        await Task.WhenAll(Sweep.RunDueAsync(CancellationToken.None), Sweep.RunDueAsync(CancellationToken.None), grain.FireDue());
        Assert.Equal(0, await grain.FireDue());
        Assert.Equal(1, await WindowClosedEvents(conversation));
        Assert.Equal(0, await f.Db.CountAsync("from timers where entity_id = @id and entity_type = 'conversation'", ("id", conversation)));
    }

    [Fact]
    public async Task A_deadline_delivered_several_times_at_once_fires_once()
    {
        f.Clock.Set(Sent.AddHours(1));
        var conversation = await ConversationWithMessageAt(Sent);
        var seen = await WindowDeadline(conversation);   // as a duplicate activation would have read it
        var grain = f.Host.Service<IGrainFactory>().GetGrain<IConversationGrain>(GrainKeys.Conversation(conversation));
        f.Clock.Set(Sent.AddHours(25));

        var direct = await Task.WhenAll(Store.FireAsync(conversation, seen, CancellationToken.None),
            Store.FireAsync(conversation, seen, CancellationToken.None), grain.FireDue().ContinueWith(_ => false));
        Assert.True(direct.Count(fired => fired) <= 1);
        Assert.False(await Store.FireAsync(conversation, seen, CancellationToken.None));
        Assert.Equal(1, await WindowClosedEvents(conversation));
    }

    [Fact]
    public async Task Rescheduling_bumps_the_generation_and_the_old_firing_does_nothing()
    {
        var phone = "4478" + Random.Shared.NextInt64(10_000_000, 99_999_999);
        f.Clock.Set(Sent.AddHours(1));
        var conversation = await ConversationWithMessageAt(Sent, phone);
        var stale = await WindowDeadline(conversation);

        // The customer writes again (message sent just before the window closed): the window moves and the deadline is rescheduled.
        var r = await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), Sent.AddHours(23).ToUnixTimeSeconds(), "still there?"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.True((await WindowDeadline(conversation)).Generation > stale.Generation);

        // Past the first window's close, the firing read under the old generation does nothing.
        f.Clock.Set(Sent.AddHours(24).AddSeconds(5));

        Assert.False(await Store.FireAsync(conversation, stale, CancellationToken.None));
        Assert.Equal(0, await WindowClosedEvents(conversation));

        f.Clock.Set(Sent.AddHours(47));
        await Sweep.RunDueAsync(CancellationToken.None);
        Assert.Equal(1, await WindowClosedEvents(conversation));
    }

    [Fact]
    public async Task A_near_lock_deadline_is_backed_by_an_Orleans_reminder_until_it_is_gone()
    {
        f.Clock.Set(Sent.AddHours(1));
        var conversation = await ConversationWithMessageAt(Sent);
        var grain = f.Host.Service<IGrainFactory>().GetGrain<IConversationGrain>(GrainKeys.Conversation(conversation));
        var key = $"%{GrainKeys.Conversation(conversation)}%";
        Task<long> Reminders() => f.Db.CountAsync("from orleansreminderstable where grainid like @k", ("k", key));

        await grain.FireDue();                       // an alert check 3 minutes away and the 24 h window: no reminder write
        Assert.Equal(0, await Reminders());

        // A lock's deadline within the reminder horizon (idle release in 3 minutes) makes the grain register one.
        await f.Db.ExecAsync("insert into timers (entity_type, entity_id, kind, due_at, created_at) values ('conversation', @i, @k, @d, @d)",
            ("i", conversation), ("k", ConversationTimers.IdleRelease), ("d", f.Clock.GetUtcNow().AddMinutes(3)));
        await grain.FireDue();
        Assert.Equal(1, await Reminders());

        await f.Db.ExecAsync("delete from timers where entity_id = @i and kind = @k", ("i", conversation), ("k", ConversationTimers.IdleRelease));
        await grain.FireDue();
        Assert.Equal(0, await Reminders());
    }
}
