namespace Engine.Grains.Customers;

/// <summary>Where a customer grain commits a change to the profile (the Silo implements it on the contacts).</summary>
public interface ICustomerProfilePort
{
    Task<Engine.Grains.Interfaces.Customers.ProfileOutcome> ChangeAsync(Guid contact, Engine.Grains.Interfaces.Customers.ProfileChange change,
        CancellationToken ct);
}

/// <summary>Where a customer grain reads the automated messages a customer received (every identity merged into
/// it).</summary>
public interface IAutomatedHistory
{
    Task<IReadOnlyList<DateTimeOffset>> AutomatedSinceAsync(Guid customer, DateTimeOffset since, CancellationToken ct);
}

/// <summary>
/// The automated-message cap of one customer: at most <see cref="Max"/> in any 24 hours (sliding), counting what was
/// sent and what bot turns in flight have reserved. A reservation not settled within <see cref="LeaseLife"/> (its node
/// died mid-turn) lapses; what that turn sent is then in the history read again.
/// </summary>
public sealed class AutomatedCap
{
    public const int Max = 3;
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);
    public static readonly TimeSpan LeaseLife = TimeSpan.FromMinutes(2);

    private readonly List<DateTimeOffset> _sent = [];
    private readonly Dictionary<Guid, (int Granted, DateTimeOffset At)> _leases = [];

    public void Load(IEnumerable<DateTimeOffset> sent)
    {
        _sent.Clear();
        _sent.AddRange(sent);
    }

    /// <summary>True when a lapsed reservation means the history must be read again.</summary>
    public bool Expire(DateTimeOffset now)
    {
        _sent.RemoveAll(t => t <= now - Window);
        var lapsed = _leases.Where(l => l.Value.At <= now - LeaseLife).Select(l => l.Key).ToList();
        foreach (var lease in lapsed) _leases.Remove(lease);
        return lapsed.Count > 0;
    }

    public (Guid Lease, int Granted, int Spent) Reserve(DateTimeOffset now)
    {
        var spent = Math.Min(Max, _sent.Count + _leases.Values.Sum(l => l.Granted));
        var lease = Guid.NewGuid();
        _leases[lease] = (Max - spent, now);
        return (lease, Max - spent, spent);
    }

    public void Settle(Guid lease) => _leases.Remove(lease);
}
