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
/// the directory keep real time. Deadlines are read from and fired into <see cref="InMemoryConversations"/>, which
/// applies the real conversation rules, so the grains' timing is tested without a database.
/// </summary>
public sealed class GrainCluster : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    public InMemoryConversations Conversations { get; }

    /// <summary>Sends each recipient received before its grain activated (what the messages table would
    /// hold).</summary>
    public InMemoryRecipientHistory Recipients { get; } = new();

    /// <summary>A token endpoint that takes its time and counts its calls.</summary>
    public CountingTokenSource Tokens { get; } = new();

    /// <summary>Activity the agent grains recorded, per user.</summary>
    public RecordedActivity Activity { get; } = new();
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public GrainCluster() => Conversations = new InMemoryConversations(Clock);

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
                s.AddSingleton<IDeadlineStore>(Conversations);
                s.AddSingleton<IRecipientHistory>(Recipients);
                s.AddSingleton<IAccessTokenSource>(Tokens);
                s.AddSingleton<IAgentActivity>(Activity);
            });
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

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

public sealed class RecordedActivity : IAgentActivity
{
    private readonly ConcurrentDictionary<Guid, int> _records = new();

    public int Of(Guid user) => _records.GetValueOrDefault(user);

    public Task RecordAsync(Guid userId, CancellationToken ct)
    {
        _records.AddOrUpdate(userId, 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }
}
