using Engine.Grains.Conversations;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Assignment;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Engine.Silo.Runtime;
using Engine.Silo.Team;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Engine.Silo.Conversations;

/// <summary>A team note (<c>note</c>: private, ≤ 300 characters) or a transfer's or escalation's comment kept in the
/// thread for whoever receives the conversation (<c>handover</c>).</summary>
public sealed record NoteView(Guid Id, Guid ConversationId, Guid? AuthorId, string? AuthorName, string Text, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt, string Kind = "note");

/// <summary>
/// People working a conversation: lock and unlock, assign, transfer, escalate, resolve, reopen, notes.
/// Each command is one grain call — lock the row, check who may act, decide, write back with the
/// agents' load, the audit entry and the resulting timers and outbox rows in one transaction.
/// </summary>
public sealed class ConversationCommands(
    Transactions runtime, IGrainFactory grains, TimeProvider clock, ILogger<ConversationCommands> log)
{
    public const int NoteMax = 300;

    /// <summary>An agent opens the conversation: the lock, and — when the channel sends read receipts — the customer's
    /// last message marked read at the provider (once per message: opening again without news sends nothing).</summary>
    public Task<ConversationState> LockAsync(Actor actor, Guid id, CancellationToken ct) =>
        RunAsync(actor, id, "conversation.lock_taken", Access.Work, async (conn, tx, s, p, now) =>
        {
            var decision = ConversationRules.TakeLock(s, User(actor), p, now);
            return await Outbound.ReadReceipts.LastInboundAsync(conn, tx, s.Id, ct) is { } message
                ? decision with { Outbox = [.. decision.Outbox, Outbound.ReadReceipts.Mark(message)] }
                : decision;
        }, ct);

    public Task<ConversationState> UnlockAsync(Actor actor, Guid id, CancellationToken ct) =>
        RunAsync(actor, id, "conversation.lock_released", Access.Work, (s, _, now) => ConversationRules.ReleaseLock(s, User(actor), now), ct);

    public Task<ConversationState> AssignAsync(Actor actor, Guid id, Guid agentId, CancellationToken ct) =>
        RunAsync(actor, id, "conversation.assigned", Access.Manage, (s, p, now) =>
            Then(ConversationRules.Touch(s, actor.UserId ?? Guid.Empty, p, now), t => ConversationRules.Assign(t, agentId, "manual", now)), ct);

    public Task<ConversationState> TransferAsync(Actor actor, Guid id, Guid? toAgent, Guid? toTeam, string? comment, CancellationToken ct) =>
        RunAsync(actor, id, "conversation.transferred", Access.Work, async (conn, tx, s, p, now) =>
        {
            var decision = Then(ConversationRules.Touch(s, actor.UserId ?? Guid.Empty, p, now),
                t => ConversationRules.Transfer(t, actor.UserId ?? Guid.Empty, toAgent, toTeam, comment, now));
            return await WithHandoverNoteAsync(conn, tx, actor, id, comment!, decision, now, ct);
        }, ct, countHandover: true);

    public Task<ConversationState> EscalateAsync(Actor actor, Guid id, string? comment, CancellationToken ct) =>
        RunAsync(actor, id, "conversation.escalated", Access.Work, async (conn, tx, s, p, now) =>
        {
            var tier = s.AssigneeId is { } a
                ? (await Sql.QueryAsync(conn, tx, "select tier from users where id = @a", r => r.GetString(0), ct, ("a", a))).Single()
                : "frontline";
            var decision = Then(ConversationRules.Touch(s, actor.UserId ?? Guid.Empty, p, now),
                t => ConversationRules.Escalate(t, actor.UserId ?? Guid.Empty, tier, comment, now));
            return await WithHandoverNoteAsync(conn, tx, actor, id, comment!, decision, now, ct);
        }, ct, countHandover: true);

    /// <summary>
    /// The hand-over's comment, kept in the thread for whoever receives the conversation (a note of kind
    /// <c>handover</c>, by the person handing over), with a <c>note.added</c> event so it reaches the live stream.
    /// </summary>
    private static async Task<Decision<ConversationState>> WithHandoverNoteAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        Actor actor, Guid id, string comment, Decision<ConversationState> decision, DateTimeOffset now, CancellationToken ct)
    {
        var noteId = Guid.CreateVersion7();
        await Sql.ExecAsync(conn, tx, """
            insert into conversation_notes (id, conversation_id, author_id, text, kind, created_at, updated_at)
            values (@id, @c, @a, @t, 'handover', @now, @now)
            """, ct, ("id", noteId), ("c", id), ("a", (object?)actor.UserId ?? DBNull.Value), ("t", comment.Trim()), ("now", now));
        return decision with
        {
            Events = [.. decision.Events, new DomainEvent(ConversationEvents.NoteAdded, now,
                new { NoteId = noteId, AuthorId = actor.UserId, Length = comment.Length, Kind = "handover" })],
        };
    }

    /// <summary>Resolves, and asks the customer for a rating (sent if the window is open).</summary>
    public Task<ConversationState> ResolveAsync(Actor actor, Guid id, CancellationToken ct) =>
        RunAsync(actor, id, "conversation.resolved", Access.Work, (s, p, now) =>
        {
            var resolved = Then(ConversationRules.Touch(s, actor.UserId ?? Guid.Empty, p, now), t => ConversationRules.Resolve(t, actor.UserId, now));
            return resolved with { Outbox = [.. resolved.Outbox, Engine.Silo.Automation.Csat.Request(id)] };
        }, ct);

    /// <summary>A follow-up of the customer's VIP change (<see cref="FollowUps"/>).</summary>
    public Task<ConversationState> PrioritiseAsync(Actor actor, Guid id, int priority, CancellationToken ct) =>
        RunAsync(actor, id, "conversation.prioritised", Access.Manage, (s, _, now) => ConversationRules.Prioritise(s, priority, now), ct);

    /// <summary>A follow-up of a CRM conversion during the conversation (<see cref="FollowUps"/>).</summary>
    public Task<ConversationState> ConvertAsync(Actor actor, Guid id, DateTimeOffset at, CancellationToken ct) =>
        RunAsync(actor, id, "conversation.converted", Access.Manage, (s, _, _) => ConversationRules.Convert(s, at), ct);

    public Task<ConversationState> ReopenAsync(Actor actor, Guid id, CancellationToken ct) =>
        RunAsync(actor, id, "conversation.reopened", Access.Manage, (s, _, now) => ConversationRules.Reopen(s, actor.UserId, now), ct);

    /// <summary>A private note (≤ 300 characters, never sent to the customer); the holder's note extends the lock.</summary>
    public async Task<NoteView> AddNoteAsync(Actor actor, Guid id, string text, CancellationToken ct)
    {
        if (actor.UserId is not { } author) throw new RefusedException("user_required", "Notes are written by a signed-in user (or an API key issued for one).");
        var noteId = Guid.CreateVersion7();
        await RunAsync(actor, id, "conversation.note_added", Access.Work, async (conn, tx, s, p, now) =>
        {
            await Sql.ExecAsync(conn, tx, "insert into conversation_notes (id, conversation_id, author_id, text, created_at, updated_at) values (@id, @c, @a, @t, @now, @now)",
                ct, ("id", noteId), ("c", id), ("a", author), ("t", text), ("now", now));
            var touched = ConversationRules.Touch(s, author, p, now);
            return touched with
            {
                State = touched.State with { UpdatedAt = now }, Changed = true,
                Events = [.. touched.Events, new DomainEvent(ConversationEvents.NoteAdded, now, new { NoteId = noteId, AuthorId = author, Length = text.Length })],
            };
        }, ct);
        return (await NotesAsync(actor.BusinessId, id, ct)).Single(n => n.Id == noteId);
    }

    public async Task<IReadOnlyList<NoteView>> NotesAsync(Guid businessId, Guid conversationId, CancellationToken ct) =>
        await runtime.CallAsync((conn, tx, ct2) => Sql.QueryAsync(conn, tx, """
            select n.id, n.conversation_id, n.author_id, u.name, n.text, n.created_at, n.updated_at, n.kind
              from conversation_notes n join conversations c on c.id = n.conversation_id left join users u on u.id = n.author_id
             where n.conversation_id = @c and c.business_id = @b order by n.created_at, n.id
            """, r => new NoteView(r.GetGuid(0), r.GetGuid(1), r.NullableGuid(2), r.NullableString(3), r.GetString(4), r.Time(5),
                r.Time(6), r.GetString(7)),
            ct2, ("c", conversationId), ("b", businessId)), ct);

    private enum Access { Work, Manage }

    private Task<ConversationState> RunAsync(Actor actor, Guid id, string action, Access access,
        Func<ConversationState, LockPolicy, DateTimeOffset, Decision<ConversationState>> decide, CancellationToken ct, bool countHandover = false) =>
        RunAsync(actor, id, action, access, (_, _, s, p, now) => Task.FromResult(decide(s, p, now)), ct, countHandover);

    private Task<ConversationState> RunAsync(Actor actor, Guid id, string action, Access access,
        Func<NpgsqlConnection, NpgsqlTransaction, ConversationState, LockPolicy, DateTimeOffset, Task<Decision<ConversationState>>> decide,
        CancellationToken ct, bool countHandover = false) =>
        SeatHolds.RunAsync(grains, log, seats => runtime.CallAsync(async (conn, tx, ct2) =>
        {
            var before = await ConversationStore.LoadAsync(conn, tx, id, ct2);
            if (before is null || before.BusinessId != actor.BusinessId) throw new RefusedException("not_found", $"No conversation with id {id}.");
            await RequireAccessAsync(conn, tx, actor, before, access, ct2);
            var now = clock.GetUtcNow();
            var decision = await decide(conn, tx, before, await BusinessSettings.LockPolicyAsync(conn, tx, actor.BusinessId, ct2), now);
            if (!decision.Changed) return before;
            await AgentLoad.ApplyAsync(conn, tx, seats, before, decision.State, AgentLoad.Limit.Capacity, now, ct2);
            var batch = new NpgsqlBatch(conn, tx);
            var (check, _) = await ConversationStore.SaveAsync(conn, tx, batch, [decision], now, ct2);
            var effects = new Effects();
            var assignedNow = decision.State.AssigneeId is { } a && a != before.AssigneeId && decision.State.Status == ConversationStatus.Open;
            // The agent who served a resolved conversation becomes the customer's sticky owner, through their grain.
            var served = decision.State.Status == ConversationStatus.Resolved && before.AssigneeId is { } agent
                ? FollowUps.Served(before.ContactId, agent, now) : null;
            effects.Add(ConversationStore.EntityType, id, before.BusinessId, decision with
            {
                Outbox = [.. decision.Outbox, .. assignedNow ? [Notices.Assigned(id, now)] : Array.Empty<OutboxIntent>(),
                    .. served is null ? [] : new[] { served }],
            }, now);
            effects.AppendTo(batch, now);
            if (countHandover && before.AssigneeId is { } from)
                batch.BatchCommands.Add(Sql.Command("update users set handovers = handovers + 1 where id = @a", ("a", from)));
            batch.BatchCommands.Add(AuditLog.Entry(actor, action, "conversation", id, Summary(before), Summary(decision.State), now));
            await batch.ExecuteNonQueryAsync(ct2);
            check();
            return decision.State;
        }, ct), s => s.Status == ConversationStatus.Open ? s.AssigneeId : null);

    /// <summary>Administrators and editors act on any conversation; an agent on those assigned to them, or waiting in their teams' queues.</summary>
    private static async Task RequireAccessAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Actor actor, ConversationState s, Access access, CancellationToken ct)
    {
        if (actor.Role is "Administrator" or "Editor") return;
        if (actor.Role != "Agent" || access == Access.Manage || actor.UserId is not { } me)
            throw new RefusedException("forbidden", "Your role does not allow this on this conversation.");
        if (s.AssigneeId == me) return;
        var inMyQueue = s.AssigneeId is null && s.TeamId is { } team && (await Sql.QueryAsync(conn, tx,
            "select 1 from team_members where team_id = @t and user_id = @u", r => r.GetInt32(0), ct, ("t", team), ("u", me))).Count > 0;
        if (!inMyQueue) throw new RefusedException("not_assigned", "Agents work only on conversations assigned to them or waiting in their teams' queues.");
    }

    private static object Summary(ConversationState s) => new
    {
        Status = ConversationStore.StatusText(s.Status), s.AssigneeId, s.TeamId, s.RequiredTier, s.LockHolder, s.LockUntil, s.Version,
    };

    private static Guid User(Actor actor) => actor.UserId ?? throw new RefusedException("user_required", "Locks are held by signed-in users (or API keys issued for one).");

    private static Decision<ConversationState> Then(Decision<ConversationState> first, Func<ConversationState, Decision<ConversationState>> next) =>
        first.Then(next(first.State));
}
