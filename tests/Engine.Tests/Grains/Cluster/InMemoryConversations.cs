using System.Collections.Concurrent;
using Engine.Grains.Conversations;
using Engine.Grains.Deadlines;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;

namespace Engine.Tests.Grains.Cluster;

/// <summary>
/// Conversations kept in memory for grain tests: deadlines are stored with generations like the database's, and a
/// firing applies <see cref="ConversationRules.TimerDue"/> and its timer intents, exactly as the Silo's handler does.
/// </summary>
/// <remarks>Offers and claims, which the team queue grains have conversation grains run, are committed against
/// <see cref="InMemoryTeamQueues"/>.</remarks>
public sealed class InMemoryConversations(TimeProvider clock, InMemoryTeamQueues queues) : IDeadlineStore, IConversationCommandPort
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, ConversationState> _states = [];
    private readonly Dictionary<(Guid Id, string Kind), Deadline> _deadlines = [];
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<string>> _released = new();
    private readonly ConcurrentDictionary<Guid, int> _firings = new();
    private long _generation;

    public ConversationState Open(Guid agent)
    {
        var now = clock.GetUtcNow();
        var state = ConversationRules.Open(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), now)
            with { AssigneeId = agent, TeamId = Guid.NewGuid() };
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

    /// <summary>How many deadlines of the conversation fired (a stale or repeated delivery does not count).</summary>
    public int Firings(Guid id) => _firings.GetValueOrDefault(id);

    /// <summary>Completes with the lock-release reason ("idle", "expired") when a firing releases the lock.</summary>
    public Task<string> Released(Guid id) => _released[id].Task;

    public Task<IReadOnlyList<Deadline>> LoadAsync(Guid entityId, IReadOnlyList<string> entityTypes,
        CancellationToken ct)
    {
        lock (_lock)
            return Task.FromResult<IReadOnlyList<Deadline>>(_deadlines
                .Where(d => d.Key.Id == entityId && entityTypes.Contains(d.Value.EntityType))
                .Select(d => d.Value).ToList());
    }

    public Task<bool> FireAsync(Guid entityId, Deadline deadline, CancellationToken ct)
    {
        lock (_lock)
        {
            if (!_deadlines.TryGetValue((entityId, deadline.Kind), out var current)
                || current.Generation != deadline.Generation)
                return Task.FromResult(false);
            _deadlines.Remove((entityId, deadline.Kind));
            _firings.AddOrUpdate(entityId, 1, (_, n) => n + 1);
        }
        var decision = Apply(entityId,
            s => ConversationRules.TimerDue(s, deadline.Kind, LockPolicy.Default, clock.GetUtcNow()));
        if (decision.Events.FirstOrDefault(e => e.Type == ConversationEvents.LockReleased) is { } released)
            _released[entityId].TrySetResult(deadline.Kind == ConversationTimers.IdleRelease ? "idle" : "expired");
        return Task.FromResult(true);
    }

    private Decision<ConversationState> Apply(Guid id, Func<ConversationState, Decision<ConversationState>> decide)
    {
        lock (_lock)
        {
            var decision = decide(_states[id]);
            _states[id] = decision.State;
            foreach (var t in decision.Timers)
                if (t.DueAt is { } due)
                    _deadlines[(id, t.Kind)] = new Deadline(ConversationGrain.EntityType, t.Kind, due, ++_generation);
                else _deadlines.Remove((id, t.Kind));
            return decision;
        }
    }
}
