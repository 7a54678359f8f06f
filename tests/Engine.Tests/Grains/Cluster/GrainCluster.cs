using System.Collections.Concurrent;
using Engine.Grains.Agents;
using Engine.Grains.Channels;
using Engine.Grains.Customers;
using Engine.Grains.Interfaces.Channels;
using Engine.Grains.Deadlines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Engine.Tests.Grains.Cluster;

/// <summary>
/// Two in-process silos (Orleans TestingHost) sharing one fake clock: grain timers run on it, while membership and
/// the directory keep real time. Deadlines are fired in <see cref="InMemoryConversations"/>, which
/// applies the real conversation rules, so the grains' timing is tested without a database.
/// </summary>
public sealed class GrainCluster : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    public InMemoryConversations Conversations { get; }

    /// <summary>Sends each recipient received before its grain activated (what the messages table would
    /// hold).</summary>
    public InMemoryRecipientHistory Recipients { get; } = new();

    /// <summary>The automated messages each merged customer received on any channel (what the messages table would
    /// hold).</summary>
    public InMemoryAutomatedHistory Automated { get; } = new();

    /// <summary>Teams' waiting conversations, claimed with the database's conditional update.</summary>
    public InMemoryTeamQueues Queues { get; } = new();

    /// <summary>A token endpoint that takes its time and counts its calls.</summary>
    public CountingTokenSource Tokens { get; } = new();

    /// <summary>What customer grains committed, and which stored customer each identity is.</summary>
    public InMemoryInbound Inbound { get; } = new();

    /// <summary>Activity the agent grains recorded, per user.</summary>
    public RecordedActivity Activity { get; } = new();
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public GrainCluster() => Conversations = new InMemoryConversations(Clock, Queues);

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UseInMemoryReminderService();
            silo.ConfigureServices(s =>
            {
                s.AddSingleton<TimeProvider>(Clock);
                s.UseTimeProviderForBackgroundAreas(TimeProvider.System);
                s.AddSingleton<IConversationDeadlines>(Conversations);
                s.AddSingleton<IConversationCommandPort>(Conversations);
                s.AddSingleton<IRecipientHistory>(Recipients);
                s.AddSingleton<IAutomatedHistory>(Automated);
                s.AddSingleton<ICustomerProfilePort>(new NoProfiles());
                s.AddSingleton(sp => Inbound.On(sp.GetRequiredService<Orleans.Runtime.IGrainContextAccessor>()));
                s.AddSingleton<Engine.Grains.Teams.ITeamQueueStore>(Queues);
                s.AddSingleton<IAccessTokenSource>(Tokens);
                s.AddSingleton<IAgentActivity>(Activity);
                s.AddSingleton<IAgentLoadStore>(Activity);
            });
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>A signed-in agent as a grain call carries them.</summary>
    public static Engine.Grains.Interfaces.Conversations.CommandActor AgentActor(Guid user) =>
        new("user", user.ToString(), null, Guid.Empty, "Agent", user);

    /// <summary>The grain factory of silo <paramref name="index"/>: calls made there start on that silo.</summary>
    public IGrainFactory OnSilo(int index) => Cluster.Silos[index].ServiceProvider.GetRequiredService<IGrainFactory>();

    /// <summary>The grain with this key, reached from the silos in turn (call n from silo n mod 2).</summary>
    public T Alternating<T>(int n, string key) where T : IGrainWithStringKey => OnSilo(n % 2).GetGrain<T>(key);
}

[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainCluster>
{
    public const string Name = "grain cluster";
}

public sealed class InMemoryRecipientHistory : IRecipientHistory
{
    private readonly ConcurrentDictionary<Guid, DateTimeOffset[]> _sends = new();

    public void Add(Guid contact, params DateTimeOffset[] sends) => _sends[contact] = sends;

    public Task<IReadOnlyList<DateTimeOffset>> AcceptedSendsSinceAsync(Guid contactId, DateTimeOffset since,
        CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<DateTimeOffset>>(
            _sends.GetValueOrDefault(contactId, []).Where(t => t > since).ToList());
}

/// <summary>
/// The node's group commit as the customer and conversation grains see it: every committed message by channel and
/// provider id with the grain that committed it, the identities stored as (merged into) another customer, and each
/// identity's open conversation (a new one once the last was resolved). While <see cref="Hold"/> is set, commits wait
/// for it.
/// </summary>
public sealed class InMemoryInbound
{
    private readonly object _gate = new();
    private readonly Dictionary<(Guid, string), Guid> _open = [];

    public ConcurrentDictionary<(Guid Channel, string ExternalId), Guid> Stored { get; } = new();
    public ConcurrentQueue<(Guid Channel, string ProviderId, string? By)> Committed { get; } = new();
    public TaskCompletionSource? Hold { get; set; }

    /// <summary>Set when a commit has started waiting on <see cref="Hold"/>.</summary>
    public TaskCompletionSource Holding { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Count(Guid channel, string providerId) => Committed.Count(c => (c.Channel, c.ProviderId) == (channel, providerId));

    /// <summary>The key of the grain that committed the message.</summary>
    public string? CommittedBy(Guid channel, string providerId) =>
        Committed.Single(c => (c.Channel, c.ProviderId) == (channel, providerId)).By;

    /// <summary>The identity's open conversation is resolved: its next message opens another.</summary>
    public void Resolve(Guid channel, string externalId)
    {
        lock (_gate) _open.Remove((channel, externalId));
    }

    /// <summary>The port a silo's grains see: it knows which grain is calling.</summary>
    public IInboundPort On(Orleans.Runtime.IGrainContextAccessor grains) => new Port(this, grains);

    private sealed class Port(InMemoryInbound inbound, Orleans.Runtime.IGrainContextAccessor grains) : IInboundPort
    {
        public Task<Engine.Grains.Interfaces.Ingestion.InboundStored> CommitAsync(
            Engine.Grains.Interfaces.Ingestion.InboundBatch part, CancellationToken ct) =>
            inbound.CommitAsync(part, grains.GrainContext?.GrainId.Key.ToString());
    }

    private async Task<Engine.Grains.Interfaces.Ingestion.InboundStored> CommitAsync(
        Engine.Grains.Interfaces.Ingestion.InboundBatch part, string? by)
    {
        if (Hold is { } hold)
        {
            Holding.TrySetResult();
            await hold.Task;
        }
        foreach (var m in part.Messages) Committed.Enqueue((part.ChannelId, m.ProviderMessageId, by));
        var thread = (part.ChannelId, part.Writer!.ExternalId);
        var customer = Stored.TryGetValue(thread, out var c) ? c : Engine.Grains.Contacts.ContactIds.For(thread.ChannelId, thread.ExternalId);
        Guid? conversation = null;
        if (part.Messages.Count > 0)
            lock (_gate) conversation = _open.TryGetValue(thread, out var open) ? open : _open[thread] = Guid.NewGuid();
        return new(customer, conversation);
    }

    public void Reset()
    {
        Hold = null;
        Holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>Profiles live in the database; no grain test changes one.</summary>
public sealed class NoProfiles : ICustomerProfilePort
{
    public Task<Engine.Grains.Interfaces.Customers.ProfileOutcome> ChangeAsync(Guid contact, Engine.Grains.Interfaces.Customers.ProfileChange change,
        CancellationToken ct) => throw new NotSupportedException("Profiles are changed in the database.");
}

/// <summary>Automated messages per customer, as a committed bot turn would leave them in the messages table.</summary>
public sealed class InMemoryAutomatedHistory : IAutomatedHistory
{
    private readonly ConcurrentDictionary<Guid, ConcurrentQueue<DateTimeOffset>> _sent = new();

    public void Sent(Guid customer, DateTimeOffset at) => _sent.GetOrAdd(customer, _ => new()).Enqueue(at);

    public Task<IReadOnlyList<DateTimeOffset>> AutomatedSinceAsync(Guid customer, DateTimeOffset since, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<DateTimeOffset>>(_sent.GetValueOrDefault(customer)?.Where(t => t > since).ToList() ?? []);
}

/// <summary>
/// Waiting conversations per team and who got each, with the fence the database gives: a claim commits only while the
/// conversation still waits. Every commit yields first, so claims that were not serialised would interleave here.
/// </summary>
public sealed class InMemoryTeamQueues : Engine.Grains.Teams.ITeamQueueStore
{
    private readonly object _gate = new();
    private readonly Dictionary<Guid, List<Engine.Grains.Interfaces.Teams.QueuedConversation>> _waiting = [];

    /// <summary>Commits in the order they happened: (conversation, agent).</summary>
    public List<(Guid Conversation, Guid Agent)> Claims { get; } = [];

    private readonly Dictionary<Guid, int> _collisions = [];

    /// <summary>How many commits in the team found their conversation already taken (a claim that was not
    /// serialised).</summary>
    public int Collisions(Guid team)
    {
        lock (_gate) return _collisions.GetValueOrDefault(team);
    }

    public void Wait(Guid team, Engine.Grains.Interfaces.Teams.QueuedConversation conversation)
    {
        lock (_gate) (_waiting.TryGetValue(team, out var list) ? list : _waiting[team] = []).Add(conversation);
    }

    public Task<IReadOnlyList<Engine.Grains.Interfaces.Teams.QueuedConversation>> WaitingAsync(Guid team, CancellationToken ct)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<Engine.Grains.Interfaces.Teams.QueuedConversation>>([.. _waiting.GetValueOrDefault(team) ?? []]);
    }

    /// <summary>The agent automatic assignment gives every conversation to here.</summary>
    public static readonly Guid AutoAgent = Guid.Parse("00000000-0000-0000-0000-0000000000a7");

    private readonly HashSet<Guid> _unstaffed = [];

    /// <summary>Nobody in the team's business could take a conversation now.</summary>
    public void Unstaffed(Guid team)
    {
        lock (_gate) _unstaffed.Add(team);
    }

    public Task<bool> OffersNowAsync(Guid team, CancellationToken ct)
    {
        lock (_gate) return Task.FromResult(!_unstaffed.Contains(team));
    }

    /// <summary>An offer (to <see cref="AutoAgent"/>) or a claim, as a conversation's grain commits it: only while the
    /// conversation still waits in the team's queue. Every commit yields first, so offers and claims that were not
    /// serialised would find conversations already taken.</summary>
    public async Task<Engine.Grains.Interfaces.Conversations.CommandOutcome> CommitAsync(
        Guid conversation, Engine.Grains.Interfaces.Conversations.ConversationCommand command)
    {
        await Task.Yield();
        var team = command.TeamId!.Value;
        var offer = command.Kind == Engine.Grains.Interfaces.Conversations.CommandKind.Offer;
        lock (_gate)
        {
            if (_waiting.GetValueOrDefault(team)?.RemoveAll(w => w.Id == conversation) is not > 0)
            {
                _collisions[team] = _collisions.GetValueOrDefault(team) + 1;
                return offer ? new() : new("not_waiting", "The conversation is not waiting in a queue.");
            }
            var agent = offer ? AutoAgent : command.AgentId!.Value;
            Claims.Add((conversation, agent));
            return new(AgentId: offer ? agent : null);
        }
    }
}

public sealed class CountingTokenSource : IAccessTokenSource
{
    private int _fetches;

    public int Fetches => _fetches;

    public Task<AccessTokenResult?> StoredAsync(Guid channelId, CancellationToken ct) =>
        Task.FromResult<AccessTokenResult?>(null);

    public async Task<AccessTokenResult> FetchAsync(Guid channelId, CancellationToken ct)
    {
        var n = Interlocked.Increment(ref _fetches);
        await Task.Delay(50, ct);   // a slow endpoint, so concurrent callers overlap with the fetch
        return new AccessTokenResult($"token-{n}", DateTimeOffset.MaxValue.AddYears(-1));
    }
}

public sealed class RecordedActivity : IAgentActivity, IAgentLoadStore
{
    private readonly ConcurrentDictionary<Guid, int> _capacity = new();
    private readonly ConcurrentDictionary<Guid, int> _assignments = new();

    /// <summary>The agent's capacity (none: 5); their stored load is always 0, so only the seats held count.</summary>
    public void SetCapacity(Guid user, int capacity) => _capacity[user] = capacity;

    /// <summary>How many assignments were recorded as the agent's latest.</summary>
    public int AssignmentsOf(Guid user) => _assignments.GetValueOrDefault(user);

    public Task<AgentLoadView?> ReadAsync(Guid userId, IReadOnlyCollection<Guid> excluding, CancellationToken ct) =>
        Task.FromResult<AgentLoadView?>(new AgentLoadView(_capacity.GetValueOrDefault(userId, 5), 0, true));

    public Task AssignedAsync(Guid userId, DateTimeOffset at, CancellationToken ct)
    {
        _assignments.AddOrUpdate(userId, 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }

    private readonly ConcurrentDictionary<Guid, int> _records = new();

    public int Of(Guid user) => _records.GetValueOrDefault(user);

    public Task RecordAsync(Guid userId, CancellationToken ct)
    {
        _records.AddOrUpdate(userId, 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }

    private readonly ConcurrentDictionary<Guid, string> _presence = new();

    public string? PresenceOf(Guid user) => _presence.GetValueOrDefault(user);

    public Task SetPresenceAsync(Guid userId, string presence, Engine.Grains.Interfaces.Conversations.CommandActor actor, CancellationToken ct)
    {
        _presence[userId] = presence;
        _records.AddOrUpdate(userId, 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }
}
