namespace Engine.Grains.Interfaces.Runtime;

/// <summary>What a grain decided for one call: its new state and the effects the runtime must persist in the same transaction.</summary>
public sealed record Decision<TState>(
    TState State,
    IReadOnlyList<DomainEvent> Events,
    IReadOnlyList<TimerIntent> Timers,
    IReadOnlyList<OutboxIntent> Outbox)
{
    public static Decision<TState> Unchanged(TState state) => new(state, [], [], []);
    public bool Changed { get; init; } = true;

    /// <summary>This decision followed by <paramref name="next"/> (taken on this one's state): the later state, all effects in order.</summary>
    public Decision<TState> Then(Decision<TState> next, params DomainEvent[] extra) =>
        new(next.State, [.. Events, .. next.Events, .. extra], [.. Timers, .. next.Timers], [.. Outbox, .. next.Outbox]);
}

/// <summary>A fact recorded as it happens (reports and integrations read these).</summary>
public sealed record DomainEvent(string Type, DateTimeOffset At, object Data);

/// <summary>Schedule (DueAt set) or cancel (DueAt null) the entity's deadline of this kind; scheduling again moves it.</summary>
public sealed record TimerIntent(string Kind, DateTimeOffset? DueAt)
{
    public static TimerIntent Schedule(string kind, DateTimeOffset dueAt) => new(kind, dueAt);
    public static TimerIntent Cancel(string kind) => new(kind, null);
}

/// <summary>A side effect for a dispatcher (provider send, CRM webhook…); the idempotency key makes it happen at most once.</summary>
public sealed record OutboxIntent(string Topic, string IdempotencyKey, object Payload, string? OrderingKey = null);
