using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Messaging;
using Engine.Grains.Interfaces.Runtime;

namespace Engine.Grains.Conversations;

/// <summary>
/// The conversation grain's rules: one customer's thread on one channel. Pure: the grain's
/// turn reads the state, calls one of these methods with the clock's "now", and persists
/// the decision fenced by the version it read, in the same transaction.
/// </summary>
public static partial class ConversationRules
{
    /// <summary>A customer with no open conversation on this channel writes: a new conversation opens.</summary>
    public static ConversationState Open(Guid id, Guid businessId, Guid channelId, Guid contactId, DateTimeOffset now) =>
        new(id, businessId, channelId, contactId, ConversationStatus.Open, now, null, null, null, null, 0, 0, 0, now, 0);

    public static bool IsNew(ConversationState state) => state.Version == 0;

    /// <summary>
    /// Customer messages stored for the first time (duplicates never reach here). The response
    /// window runs from the newest customer message's provider time, and never moves back when an
    /// older message arrives late.
    /// </summary>
    public static Decision<ConversationState> Receive(
        ConversationState state, IReadOnlyList<ReceivedMessage> messages, ConversationPolicy policy, DateTimeOffset now)
    {
        if (state.Status != ConversationStatus.Open)
            throw new InvalidOperationException($"Conversation {state.Id} is resolved; a new message opens a new conversation.");
        if (messages.Count == 0) return Decision<ConversationState>.Unchanged(state) with { Changed = false };

        var events = new List<DomainEvent>();
        if (IsNew(state)) events.Add(new DomainEvent(ConversationEvents.Opened, now, new { state.ChannelId, state.ContactId }));

        var lastInbound = state.LastInboundAt;
        foreach (var m in messages.OrderBy(m => m.SentAt))
        {
            if (lastInbound is null || m.SentAt > lastInbound) lastInbound = m.SentAt;
            events.Add(new DomainEvent(ConversationEvents.MessageReceived, now, new { m.MessageId, m.Type, m.SentAt }));
        }

        var windowClosesAt = lastInbound + policy.ResponseWindow;
        var next = state with
        {
            LastInboundAt = lastInbound,
            LastMessageAt = Max(state.LastMessageAt, now),
            WindowClosesAt = windowClosesAt,
            UnreadCount = state.UnreadCount + messages.Count,
            MessageCount = state.MessageCount + messages.Count,
            WindowSends = 0, // each customer message renews the per-window quota
            AwaitingSince = state.AwaitingSince ?? now, // reply time runs from the first message nobody has answered yet
            UpdatedAt = now,
        };
        var timers = new List<TimerIntent>();
        if (windowClosesAt != state.WindowClosesAt)
            timers.Add(TimerIntent.Schedule(ConversationTimers.ResponseWindow, windowClosesAt!.Value));
        // The customer starts waiting while someone holds the lock: idle release now runs (checked at once; the check
        // knows the business's idle time and moves itself to when it is due).
        if (state.LockHolder is not null && state.AwaitingSince is null)
            timers.Add(TimerIntent.Schedule(ConversationTimers.IdleRelease, now));
        // The customer spoke: it is no longer the agent who spoke last.
        if (state.Deadlines.ContainsKey(ConversationTimers.Inactivity))
            timers.Add(TimerIntent.Cancel(ConversationTimers.Inactivity));
        return new Decision<ConversationState>(next, events, timers, []);
    }

    /// <summary>The outcome of a send: accepted with its decision, or refused with a machine-readable code.</summary>
    public sealed record SendOutcome(Decision<ConversationState>? Decision, string? RefusalCode, string? Detail, bool OutOfWindow, string Category)
    {
        public bool Accepted => Decision is not null;
    }

    public const string SendTopic = "message.send";

    /// <summary>
    /// The business sends a message. The response window decides: WeChat refuses any send once the
    /// window has closed and any send past its per-window quota; WhatsApp accepts templates always and
    /// free-form messages outside the window only under the surcharge policy. Open means now &lt; closes-at.
    /// </summary>
    public static SendOutcome Send(ConversationState state, Guid messageId, bool isTemplate, SendPolicy policy, DateTimeOffset now)
    {
        var open = IsWindowOpen(state, now);
        if (policy.ChannelKind == "wechat")
        {
            if (!open) return Refuse("window_closed", "WeChat accepts customer-service messages only within 48 h of the customer's last message (errcode 45015).");
            if (state.WindowSends >= policy.WindowQuota)
                return Refuse("window_quota_exhausted", $"WeChat allows {policy.WindowQuota} messages per customer message (errcode 45047); wait for the customer to write.");
        }
        else if (!open && !isTemplate && policy.OutsideWindowPolicy != OutsideWindowPolicies.Surcharge)
            return Refuse("window_closed", "The customer-service window is closed: send an approved template (WhatsApp error 131047).");

        var category = isTemplate || !open ? MessageCategories.BusinessInitiated : MessageCategories.Service;
        if (policy.ChannelKind == "wechat") category = MessageCategories.Service;
        var next = state with { WindowSends = state.WindowSends + 1, LastMessageAt = now, UpdatedAt = now };
        var decision = new Decision<ConversationState>(next,
            [new DomainEvent(ConversationEvents.MessageQueued, now, new { MessageId = messageId, OutOfWindow = !open, Category = category })],
            [],
            [new OutboxIntent(SendTopic, $"send:{messageId}", new { MessageId = messageId }, OrderingKey: $"conversation:{state.Id}")]);
        return new SendOutcome(decision, null, null, !open, category);

        SendOutcome Refuse(string code, string detail) => new(null, code, detail, !open, MessageCategories.Service);
    }

    /// <summary>A timer of this conversation is due.</summary>
    public static Decision<ConversationState> TimerDue(ConversationState state, string kind, LockPolicy locks, DateTimeOffset now) => kind switch
    {
        ConversationTimers.ResponseWindow => ResponseWindowDue(state, now),
        ConversationTimers.LockExpiry => LockExpiryDue(state, now),
        ConversationTimers.IdleRelease => IdleReleaseDue(state, locks, now),
        ConversationTimers.Inactivity => InactivityDue(state, now),
        ConversationTimers.BotQuiet => BotQuietDue(state, now),
        _ => throw new InvalidOperationException($"Conversation has no timer '{kind}'."),
    };

    private static Decision<ConversationState> ResponseWindowDue(ConversationState state, DateTimeOffset now)
    {
        // A newer customer message moved the window: the runtime re-scheduled the timer, so this is not the firing that counts.
        if (state.WindowClosesAt is not { } closes || closes > now)
            return Decision<ConversationState>.Unchanged(state) with { Changed = false };
        var closed = new Decision<ConversationState>(state with { UpdatedAt = now },
            [new DomainEvent(ConversationEvents.WindowClosed, now, new { ClosedAt = closes })], [], []);
        // The customer waited for a person and nobody answered before the window closed: abandoned.
        return AwaitingFirstResponse(state) && state.AwaitingSince is not null
            ? closed.Then(Resolve(closed.State, null, now, Resolutions.Abandoned))
            : closed;
    }

    /// <summary>Open, and no person has answered yet while the customer waits for one: from opening (a welcome or an
    /// offline notice is not an answer), or from the bot's hand-over — not while the bot has the conversation.</summary>
    public static bool AwaitingFirstResponse(ConversationState s) =>
        s.Status == ConversationStatus.Open && s.FirstHumanReplyAt is null && !WithTheBot(s);

    public static bool IsWindowOpen(ConversationState state, DateTimeOffset now) =>
        state.WindowClosesAt is { } closes && now < closes;

    private static DateTimeOffset Max(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;
}
