using System.Net;
using Engine.Grains.Deadlines;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Deadlines;
using Engine.Silo.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Silo;

/// <summary>
/// Deadlines in the conversation grain's state, driven by a fake clock: the conversation's response-window deadline and
/// the lock's idle release are the real deadlines under test; the grains fire them through the store, fenced by the
/// state's version.
/// </summary>
public class TimerTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    private static readonly DateTimeOffset Sent = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    private DeadlineSweep Sweep => f.Host.Service<DeadlineSweep>();
    private IConversationDeadlines Store => f.Host.Service<IConversationDeadlines>();

    private async Task<Guid> ConversationWithMessageAt(DateTimeOffset sentAt, string? phone = null)
    {
        phone ??= "4477" + Random.Shared.NextInt64(10_000_000, 99_999_999);
        var r = await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), sentAt.ToUnixTimeSeconds(), "hi"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return await f.Db.ScalarAsync<Guid>("select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p and v.status = 'open'", ("p", phone));
    }

    private Task<long> WindowClosedEvents(Guid conversation) =>
        f.Db.CountAsync("from entity_events where entity_id = @id and type = @t", ("id", conversation), ("t", ConversationEvents.WindowClosed));

    private async Task<DateTimeOffset?> WindowDeadline(Guid conversation) =>
        await f.Db.ScalarAsync<object>("select (deadlines->>@k)::timestamptz from conversations where id = @id",
            ("k", ConversationTimers.ResponseWindow), ("id", conversation)) is DateTime at
            ? new DateTimeOffset(at, TimeSpan.Zero) : null;

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
        Assert.Null(await WindowDeadline(conversation));
    }

    [Fact]
    public async Task A_deadline_delivered_several_times_at_once_fires_once()
    {
        f.Clock.Set(Sent.AddHours(1));
        var conversation = await ConversationWithMessageAt(Sent);
        var grain = f.Host.Service<IGrainFactory>().GetGrain<IConversationGrain>(GrainKeys.Conversation(conversation));
        f.Clock.Set(Sent.AddHours(25));

        // Straight to the store (as a duplicate activation would), through the grain and through the sweep, at once.
        var firings = await Task.WhenAll(Store.FireDueAsync(conversation, CancellationToken.None),
            Store.FireDueAsync(conversation, CancellationToken.None),
            grain.FireDue().ContinueWith(_ => DeadlineFiring.None),
            Sweep.RunDueAsync(CancellationToken.None).ContinueWith(_ => DeadlineFiring.None));
        Assert.True(firings.Count(x => x.Fired > 0) <= 1);
        Assert.Equal(0, (await Store.FireDueAsync(conversation, CancellationToken.None)).Fired);
        Assert.Equal(1, await WindowClosedEvents(conversation));
    }

    [Fact]
    public async Task A_moved_deadline_fires_at_its_new_time_and_not_at_the_old_one()
    {
        var phone = "4478" + Random.Shared.NextInt64(10_000_000, 99_999_999);
        f.Clock.Set(Sent.AddHours(1));
        var conversation = await ConversationWithMessageAt(Sent, phone);
        Assert.Equal(Sent.AddHours(24), await WindowDeadline(conversation));

        // The customer writes again just before the window closes: the window and its deadline move.
        f.Clock.Set(Sent.AddHours(23));
        var r = await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.TextDelivery(phone, Wa.NewId(), Sent.AddHours(23).ToUnixTimeSeconds(), "still there?"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(Sent.AddHours(47), await WindowDeadline(conversation));

        // Past the first window's close, nothing fires.
        f.Clock.Set(Sent.AddHours(24).AddSeconds(5));
        await Sweep.RunDueAsync(CancellationToken.None);
        Assert.Equal(0, (await Store.FireDueAsync(conversation, CancellationToken.None)).Fired);
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
        await SetDeadlineAsync(conversation, ConversationTimers.IdleRelease, f.Clock.GetUtcNow().AddMinutes(3));
        await grain.FireDue();
        Assert.Equal(1, await Reminders());

        await SetDeadlineAsync(conversation, ConversationTimers.IdleRelease, null);
        await grain.FireDue();
        Assert.Equal(0, await Reminders());
    }

    /// <summary>Sets or removes one deadline in the conversation's stored state, as a command's write would.</summary>
    private Task SetDeadlineAsync(Guid conversation, string kind, DateTimeOffset? due) => f.Db.ExecAsync("""
        update conversations
           set deadlines = case when @d::timestamptz is null then deadlines - @k
                                else deadlines || jsonb_build_object(@k, @d::timestamptz) end,
               version = version + 1
         where id = @i;
        update conversations set next_deadline_at = (select min((value #>> '{}')::timestamptz) from jsonb_each(deadlines))
         where id = @i
        """, ("i", conversation), ("k", kind), ("d", (object?)due ?? DBNull.Value));
}
