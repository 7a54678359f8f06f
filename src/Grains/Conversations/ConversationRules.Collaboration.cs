using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;

namespace Engine.Grains.Conversations;

/// <summary>Queues, assignment, the exclusive lock with idle release, hand-overs and resolution.</summary>
public static partial class ConversationRules
{
    public const string OfferTopic = "assignment.offer";
    public static readonly string[] Tiers = ["frontline", "senior", "supervisor"];

    /// <summary>Puts the conversation in a team's queue (VIP first, then by waiting time) and asks for it to be offered.</summary>
    public static Decision<ConversationState> Queue(ConversationState s, Guid teamId, int priority, DateTimeOffset now, string reason)
    {
        Require(s.Status == ConversationStatus.Open, "conversation_resolved", "A resolved conversation cannot be queued.");
        var next = s with { TeamId = teamId, AssigneeId = null, AssignedAt = null, Priority = priority, QueuedAt = now, UpdatedAt = now };
        return new(next, [new(ConversationEvents.Queued, now, new { TeamId = teamId, Priority = priority, Reason = reason })], [], [Offer(s.Id, now)]);
    }

    /// <summary>Gives the conversation to an agent. <paramref name="via"/>: auto, sticky, dedicated, claim, manual, transfer.</summary>
    public static Decision<ConversationState> Assign(ConversationState s, Guid agentId, string via, DateTimeOffset now)
    {
        Require(s.Status == ConversationStatus.Open, "conversation_resolved", "A resolved conversation cannot be assigned.");
        var next = s with { AssigneeId = agentId, AssignedAt = now, QueuedAt = null, ReleasedFrom = null, UpdatedAt = now };
        return new(next, [new(ConversationEvents.Assigned, now, new { AgentId = agentId, Previous = s.AssigneeId, Via = via, WaitedFrom = s.QueuedAt })], [], []);
    }

    /// <summary>
    /// An agent opens the conversation to work on it: it is theirs alone for the lock length; idle for the idle time, it goes
    /// back to the pool. Opening it reads it: the unread count starts again from zero.
    /// </summary>
    public static Decision<ConversationState> TakeLock(ConversationState s, Guid userId, LockPolicy p, DateTimeOffset now)
    {
        RequireUnlocked(s, userId, now);
        var fresh = s.LockHolder != userId || s.LockUntil <= now;
        var next = s with { LockHolder = userId, LockUntil = now + p.LockLength, LockLastActionAt = now, UnreadCount = 0, UpdatedAt = now };
        return new(next, fresh ? [new(ConversationEvents.LockTaken, now, new { UserId = userId, Until = next.LockUntil })] : [], LockTimers(next, p), []);
    }

    /// <summary>Any change by a user: refused while another holds the lock; the holder's action extends it.</summary>
    public static Decision<ConversationState> Touch(ConversationState s, Guid userId, LockPolicy p, DateTimeOffset now)
    {
        RequireUnlocked(s, userId, now);
        if (s.LockHolder != userId || s.LockUntil <= now) return Decision<ConversationState>.Unchanged(s) with { Changed = false };
        var next = s with { LockUntil = now + p.LockLength, LockLastActionAt = now, UpdatedAt = now };
        return new(next, [], LockTimers(next, p), []);
    }

    public static Decision<ConversationState> ReleaseLock(ConversationState s, Guid userId, DateTimeOffset now)
    {
        RequireUnlocked(s, userId, now);
        if (s.LockHolder is null) return Decision<ConversationState>.Unchanged(s) with { Changed = false };
        return Unlocked(s, now, "released");
    }

    /// <summary>
    /// A human reply (not the bot, not a note): the first one is the first response; each one that answers a waiting
    /// customer records its reply time (from the first unanswered customer message, or the bot's hand-over). Both
    /// count business time: the time the business's <paramref name="hours"/> were open (wall time without them).
    /// </summary>
    public static Decision<ConversationState> HumanReplied(ConversationState s, Guid userId, DateTimeOffset now,
        Automation.BusinessHours? hours = null)
    {
        var first = s.FirstHumanReplyAt is null;
        double Seconds(DateTimeOffset from) =>
            Math.Max(0, (hours is null ? now - from : hours.OpenTimeBetween(from, now)).TotalSeconds);
        double? replySeconds = s.AwaitingSince is { } since ? Seconds(since) : null;
        if (!first && replySeconds is null) return Decision<ConversationState>.Unchanged(s) with { Changed = false };
        var next = s with
        {
            FirstHumanReplyAt = s.FirstHumanReplyAt ?? now, AwaitingSince = null, UnreadCount = 0, UpdatedAt = now,
            FirstResponseSeconds = first ? Seconds(s.HandedOverAt ?? s.OpenedAt) : s.FirstResponseSeconds,
        };
        // Answered: the customer no longer waits, so idle release stops until they write again.
        return new(next, [new(ConversationEvents.HumanReplied, now, new { UserId = userId, First = first, ReplySeconds = replySeconds })],
            [TimerIntent.Cancel(ConversationTimers.IdleRelease)], []);
    }

    /// <summary>Hand over to an agent or a team, with a required comment; counted against the agent handing over.</summary>
    public static Decision<ConversationState> Transfer(ConversationState s, Guid byUser, Guid? toAgent, Guid? toTeam, string? comment, DateTimeOffset now)
    {
        Require(s.Status == ConversationStatus.Open, "conversation_resolved", "Reopen the conversation before transferring it.");
        Require(!string.IsNullOrWhiteSpace(comment), "comment_required", "A transfer needs a comment for the next agent.");
        Require((toAgent is null) != (toTeam is null), "invalid_target", "Transfer to exactly one of an agent or a team.");
        var from = s.AssigneeId;
        var moved = s with { LockHolder = null, LockUntil = null, LockLastActionAt = null, Handovers = s.Handovers + 1, UpdatedAt = now };
        var ev = new DomainEvent(ConversationEvents.Transferred, now, new { From = from, By = byUser, ToAgent = toAgent, ToTeam = toTeam, Comment = comment });
        var cancel = new[] { TimerIntent.Cancel(ConversationTimers.LockExpiry), TimerIntent.Cancel(ConversationTimers.IdleRelease) };
        if (toAgent is { } agent)
        {
            var assigned = Assign(moved, agent, "transfer", now);
            return new(assigned.State, [ev, .. assigned.Events], cancel, []);
        }
        var queued = Queue(moved with { ReleasedFrom = from }, toTeam!.Value, s.Priority, now, "transfer");
        return new(queued.State, [ev, .. queued.Events], cancel, queued.Outbox);
    }

    /// <summary>Up one tier (frontline → senior → supervisor) within the team; a comment is required.</summary>
    public static Decision<ConversationState> Escalate(ConversationState s, Guid byUser, string currentTier, string? comment, DateTimeOffset now)
    {
        Require(!string.IsNullOrWhiteSpace(comment), "comment_required", "An escalation needs a comment.");
        Require(s.TeamId is not null, "no_team", "Only a conversation routed to a team can be escalated.");
        var from = Array.IndexOf(Tiers, s.RequiredTier ?? currentTier);
        Require(from < Tiers.Length - 1, "top_tier", "The conversation is already with a supervisor.");
        var tier = Tiers[Math.Max(from, 0) + 1];
        // Up only: never offered back to the agent who escalated it.
        var moved = s with { RequiredTier = tier, LockHolder = null, LockUntil = null, LockLastActionAt = null, Handovers = s.Handovers + 1,
            ReleasedFrom = s.AssigneeId };
        var queued = Queue(moved, s.TeamId!.Value, s.Priority, now, "escalation");
        return new(queued.State,
            [new(ConversationEvents.Escalated, now, new { From = s.AssigneeId, By = byUser, Tier = tier, Comment = comment }), .. queued.Events],
            [TimerIntent.Cancel(ConversationTimers.LockExpiry), TimerIntent.Cancel(ConversationTimers.IdleRelease)], queued.Outbox);
    }

    /// <summary>Resolves the conversation; <paramref name="closedAs"/> when the engine closes it (<see
    /// cref="Resolutions.Inactive"/>, <see cref="Resolutions.Abandoned"/>), otherwise by the agent or, with only the
    /// bot having answered, the bot.</summary>
    public static Decision<ConversationState> Resolve(ConversationState s, Guid? byUser, DateTimeOffset now,
        string? closedAs = null)
    {
        Require(s.Status == ConversationStatus.Open, "already_resolved", "The conversation is already resolved.");
        // Resolved with only the bot having answered: the bot resolved it.
        // Only the bot's quiet period resolves it as the bot's.
        var botOutcome = closedAs == Resolutions.Bot ? "resolved" : s.BotOutcome;
        var resolution = closedAs ?? Resolutions.Agent;
        var next = s with { Status = ConversationStatus.Resolved, ResolvedAt = now, QueuedAt = null, LockHolder = null, LockUntil = null, LockLastActionAt = null,
            BotOutcome = botOutcome, Resolution = resolution, UpdatedAt = now };
        return new(next,
            [new(ConversationEvents.Resolved, now, new { By = byUser, AgentId = s.AssigneeId, s.TeamId, Resolution = resolution })],
            [TimerIntent.Cancel(ConversationTimers.LockExpiry), TimerIntent.Cancel(ConversationTimers.IdleRelease),
             TimerIntent.Cancel(ConversationTimers.Inactivity), TimerIntent.Cancel(ConversationTimers.BotQuiet)], []);
    }

    /// <summary>The bot answered and nobody else holds the conversation: the bot's, until the customer writes again or
    /// stays quiet for <paramref name="quiet"/>.</summary>
    public static bool WithTheBot(ConversationState s) =>
        s.Status == ConversationStatus.Open && s.TeamId is null && s.AssigneeId is null && s.FirstHumanReplyAt is null
        && s.BotOutcome is null && s.BotReplies > 0;

    /// <summary>The customer stayed quiet after the bot's answer: resolved by the bot — the only way a conversation
    /// is.</summary>
    private static Decision<ConversationState> BotQuietDue(ConversationState s, DateTimeOffset now) =>
        WithTheBot(s)
            ? Resolve(s, null, now, Resolutions.Bot)
            : Decision<ConversationState>.Unchanged(s) with { Changed = false };

    /// <summary>A person answered: if the customer now stays silent for the business's inactivity time, the
    /// conversation is resolved as inactive.</summary>
    public static Decision<ConversationState> AgentSpoke(ConversationState s, LockPolicy p, DateTimeOffset now) =>
        s.Status == ConversationStatus.Open
            ? new(s, [], [TimerIntent.Schedule(ConversationTimers.Inactivity, now + p.InactiveAfter)], [])
            : Decision<ConversationState>.Unchanged(s) with { Changed = false };

    /// <summary>The customer stayed silent after the agent spoke last: resolved as inactive (a customer's message since
    /// cancelled this).</summary>
    private static Decision<ConversationState> InactivityDue(ConversationState s, DateTimeOffset now) =>
        s.Status == ConversationStatus.Open && s.AwaitingSince is null
            ? Resolve(s, null, now, Resolutions.Inactive)
            : Decision<ConversationState>.Unchanged(s) with { Changed = false };

    /// <summary>The customer became a VIP or stopped being one: an open conversation takes the priority (VIP first in
    /// its queue); anything else is unchanged.</summary>
    public static Decision<ConversationState> Prioritise(ConversationState s, int priority, DateTimeOffset now) =>
        s.Status == ConversationStatus.Open && s.Priority != priority
            ? new(s with { Priority = priority, UpdatedAt = now }, [], [], [])
            : Decision<ConversationState>.Unchanged(s) with { Changed = false };

    /// <summary>The customer converted (a CRM conversion) during this conversation: the first conversion counts (the
    /// funnel and the wait tiers read it).</summary>
    public static Decision<ConversationState> Convert(ConversationState s, DateTimeOffset at) =>
        s.ConvertedAt is null
            ? new(s with { ConvertedAt = at }, [], [], [])
            : Decision<ConversationState>.Unchanged(s) with { Changed = false };

    /// <summary>Reopened conversations go back to their team's queue (and from there, stickily, to their last agent).</summary>
    public static Decision<ConversationState> Reopen(ConversationState s, Guid? byUser, DateTimeOffset now)
    {
        Require(s.Status == ConversationStatus.Resolved, "not_resolved", "Only a resolved conversation can be reopened.");
        var open = s with { Status = ConversationStatus.Open, ResolvedAt = null, Resolution = null, AssigneeId = null, AssignedAt = null, UpdatedAt = now };
        var ev = new DomainEvent(ConversationEvents.Reopened, now, new { By = byUser, PreviousAgent = s.AssigneeId });
        if (open.TeamId is not { } team) return new(open, [ev], [], []);
        var queued = Queue(open, team, s.Priority, now, "reopened");
        return new(queued.State, [ev, .. queued.Events], [], queued.Outbox);
    }

    private static Decision<ConversationState> LockExpiryDue(ConversationState s, DateTimeOffset now) =>
        s.LockHolder is not null && s.LockUntil <= now ? Unlocked(s, now, "expired") : Decision<ConversationState>.Unchanged(s) with { Changed = false };

    /// <summary>
    /// Idle release: the holder did nothing for the idle time while the customer waited for an answer (from the later of
    /// the holder's last action and the customer's first unanswered message): the lock goes, and the conversation returns
    /// to its queue. While the agent waits for the customer, it stays with them (the lock still expires).
    /// </summary>
    private static Decision<ConversationState> IdleReleaseDue(ConversationState s, LockPolicy p, DateTimeOffset now)
    {
        if (IdleDue(s, p) is not { } due || s.LockHolder is not { } holder)
            return Decision<ConversationState>.Unchanged(s) with { Changed = false };
        if (due > now)   // the customer wrote after the holder's last action: the idle time runs from their message
            return new(s, [], [TimerIntent.Schedule(ConversationTimers.IdleRelease, due)], []);
        var unlocked = Unlocked(s, now, "idle");
        var ev = new DomainEvent(ConversationEvents.IdleReleased, now, new { UserId = holder, AgentId = s.AssigneeId });
        if (s.Status != ConversationStatus.Open || s.TeamId is not { } team) return unlocked with { Events = [ev, .. unlocked.Events] };
        var queued = Queue(unlocked.State with { ReleasedFrom = s.AssigneeId }, team, s.Priority, now, "idle_release");
        return new(queued.State, [ev, .. unlocked.Events, .. queued.Events], unlocked.Timers, queued.Outbox);
    }

    /// <summary>When idle release is due: only while someone holds the lock and the customer waits for an
    /// answer.</summary>
    public static DateTimeOffset? IdleDue(ConversationState s, LockPolicy p) =>
        s.LockHolder is null || s.AwaitingSince is not { } waiting || s.LockLastActionAt is not { } acted
            ? null
            : (acted > waiting ? acted : waiting) + p.IdleRelease;

    private static Decision<ConversationState> Unlocked(ConversationState s, DateTimeOffset now, string why) =>
        new(s with { LockHolder = null, LockUntil = null, LockLastActionAt = null, UpdatedAt = now },
            [new(ConversationEvents.LockReleased, now, new { UserId = s.LockHolder, Why = why })],
            [TimerIntent.Cancel(ConversationTimers.LockExpiry), TimerIntent.Cancel(ConversationTimers.IdleRelease)], []);

    private static TimerIntent[] LockTimers(ConversationState s, LockPolicy p) =>
    [
        TimerIntent.Schedule(ConversationTimers.LockExpiry, s.LockUntil!.Value),
        IdleDue(s, p) is { } idle
            ? TimerIntent.Schedule(ConversationTimers.IdleRelease, idle)
            : TimerIntent.Cancel(ConversationTimers.IdleRelease),
    ];

    private static OutboxIntent Offer(Guid conversation, DateTimeOffset now) =>
        new(OfferTopic, $"offer:{conversation}:{now.UtcTicks}", new { ConversationId = conversation });

    private static void RequireUnlocked(ConversationState s, Guid userId, DateTimeOffset now)
    {
        if (s.IsLockedFor(userId, now))
            throw new RefusedException("conversation_locked", $"Locked by another agent until {s.LockUntil:O}.", new { holder = s.LockHolder, until = s.LockUntil });
    }

    private static void Require(bool ok, string code, string detail)
    {
        if (!ok) throw new RefusedException(code, detail);
    }
}
