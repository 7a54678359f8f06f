using System.Collections.Concurrent;
using Engine.Grains.Conversations;
using Engine.Grains.Deadlines;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;

namespace Engine.Tests.Grains.Cluster;

/// <summary>
/// Conversations kept in memory for grain tests, their deadlines in their state like the database's: a firing applies
/// <see cref="ConversationDeadlines.Fire"/> and its timer intents, as the Silo's store does.
/// </summary>
/// <remarks>Offers and claims, which the team queue grains have conversation grains run, are committed against
/// <see cref="InMemoryTeamQueues"/>.</remarks>
public sealed class InMemoryConversations(TimeProvider clock, InMemoryTeamQueues queues)
    : IConversationDeadlines, IConversationCommandPort
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, ConversationState> _states = [];
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<string>> _released = new();
    private readonly ConcurrentDictionary<Guid, int> _firings = new();

    public ConversationState Open(Guid agent)
    {
        var now = clock.GetUtcNow();
        var state = ConversationRules.Open(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), now)
            with { AssigneeId = agent, TeamId = Guid.NewGuid(), AwaitingSince = now };   // the customer waits for an answer
        lock (_lock) _states[state.Id] = state;
        _released[state.Id] = new(TaskCreationOptions.RunContinuationsAsynchronously);
        return state;
    }

    public ConversationState this[Guid id] { get { lock (_lock) return _states[id]; } }

    public void TakeLock(Guid id, Guid user) =>
        Apply(id, s => ConversationRules.TakeLock(s, user, LockPolicy.Default, clock.GetUtcNow()));

    public void Touch(Guid id, Guid user) =>
        Apply(id, s => ConversationRules.Touch(s, user, LockPolicy.Default, clock.GetUtcNow()));

    /// <summary>Lock and unlock as the Silo's commands apply them (the other commands are not needed by grain
    /// tests).</summary>
    public Task<CommandOutcome> RunAsync(Guid conversation, ConversationCommand command, CancellationToken ct)
    {
        if (command.Kind is CommandKind.Offer or CommandKind.Claim) return queues.CommitAsync(conversation, command);
        var user = command.Actor.UserId ?? Guid.Empty;
        try
        {
            Apply(conversation, s => command.Kind switch
            {
                CommandKind.Lock => ConversationRules.TakeLock(s, user, LockPolicy.Default, clock.GetUtcNow()),
                CommandKind.Unlock => ConversationRules.ReleaseLock(s, user, clock.GetUtcNow()),
                _ => throw new NotSupportedException($"{command.Kind} is not kept in memory."),
            });
            return Task.FromResult(new CommandOutcome());
        }
        catch (RefusedException e) { return Task.FromResult(new CommandOutcome(e.Code, e.Message)); }
    }

    /// <summary>A reply by the lock's holder: the rules extend the lock and its idle release, as the Silo's send
    /// does.</summary>
    public Task<SendOutcome> SendAsync(Guid conversation, SendCommand command, CancellationToken ct)
    {
        try
        {
            Apply(conversation, s => ConversationRules.Touch(s, command.Actor.UserId ?? Guid.Empty, LockPolicy.Default, clock.GetUtcNow()));
            return Task.FromResult(new SendOutcome(Guid.NewGuid()));
        }
        catch (RefusedException e) { return Task.FromResult(new SendOutcome(null, false, e.Code, e.Message)); }
    }

    /// <summary>How many firings of the conversation fired something (a stale or repeated delivery does not
    /// count).</summary>
    public int Firings(Guid id) => _firings.GetValueOrDefault(id);

    /// <summary>Completes with the lock-release reason ("idle", "expired") when a firing releases the lock.</summary>
    public Task<string> Released(Guid id) => _released[id].Task;

    public Task<DeadlineFiring> FireDueAsync(Guid entityId, CancellationToken ct)
    {
        lock (_lock)
        {
            // Conversations of the team queue tests live in InMemoryTeamQueues, without deadlines.
            if (!_states.TryGetValue(entityId, out var state)) return Task.FromResult(DeadlineFiring.None);
            var due = DeadlinePlan.Due(state.Deadlines, clock.GetUtcNow());
            if (due.Count == 0) return Task.FromResult(new DeadlineFiring(0, state.Deadlines));
            _firings.AddOrUpdate(entityId, 1, (_, n) => n + 1);
            var (decision, steps) = ConversationDeadlines.Fire(state, due, LockPolicy.Default, clock.GetUtcNow());
            _states[entityId] = ConversationDeadlines.Apply(decision.State, decision.Timers);
            if (steps.FirstOrDefault(s => s.Before.LockHolder is not null && s.After.LockHolder is null) is
                { Kind: not null } released)
                _released[entityId].TrySetResult(released.Kind == ConversationTimers.IdleRelease ? "idle" : "expired");
            return Task.FromResult(new DeadlineFiring(due.Count, _states[entityId].Deadlines));
        }
    }

    private Decision<ConversationState> Apply(Guid id, Func<ConversationState, Decision<ConversationState>> decide)
    {
        lock (_lock)
        {
            var decision = decide(_states[id]);
            _states[id] = ConversationDeadlines.Apply(decision.State, decision.Timers);
            return decision;
        }
    }
}
