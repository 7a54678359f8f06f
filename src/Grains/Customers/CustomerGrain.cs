using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Customers;
using Engine.Grains.Messaging;

namespace Engine.Grains.Customers;

/// <summary>Where a customer grain reads the sends a recipient received (the Silo implements it on the messages
/// table).</summary>
public interface IRecipientHistory
{
    Task<IReadOnlyList<DateTimeOffset>> AcceptedSendsSinceAsync(Guid contactId, DateTimeOffset since,
        CancellationToken ct);
}

/// <summary>
/// The customer's grain as a recipient: it reads the sends of the last minutes once on activation (so a crash
/// loses nothing) and then keeps them in memory, so each dispatch asks it instead of the database. Sends to one
/// recipient are serialised by the outbox (one ordering key per conversation), so asking, sending and recording
/// cannot interleave for one recipient. A node that dies between the provider's acceptance and the record leaves
/// this activation one send short until it is re-activated (the database has it).
/// </summary>
/// <remarks>
/// As the merged customer, it keeps the <see cref="AutomatedCap"/>: read from the messages on activation and after each
/// bot turn settles, so the count is the database's, and turns in flight on any channel or node reserve through it.
/// </remarks>
public sealed class CustomerGrain(IRecipientHistory history, IAutomatedHistory automated, ICustomerProfilePort profiles, TimeProvider clock)
    : Grain, ICustomerGrain
{
    private static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(10);
    private readonly List<DateTimeOffset> _sends = [];
    private readonly AutomatedCap _cap = new();
    private bool _capLoaded;

    private Guid Contact => GrainKeys.IdOf(this.GetPrimaryKeyString());

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var since = clock.GetUtcNow() - KeepFor;
        _sends.AddRange(await history.AcceptedSendsSinceAsync(Contact, since, cancellationToken));
    }

    public async Task<AutomatedAllowance> ReserveAutomated()
    {
        var now = clock.GetUtcNow();
        if (_cap.Expire(now) || !_capLoaded) await LoadCapAsync(now);
        var (lease, granted, spent) = _cap.Reserve(now);
        return new AutomatedAllowance(lease, granted, spent);
    }

    public async Task SettleAutomated(Guid lease)
    {
        _cap.Settle(lease);
        await LoadCapAsync(clock.GetUtcNow());
    }

    public async Task<ProfileOutcome> Change(ProfileChange change)
    {
        var outcome = await profiles.ChangeAsync(Contact, change, CancellationToken.None);
        // A merge brings another identity's automated messages under this customer: read the cap again when next asked.
        if (change.Kind == ProfileChangeKind.Merge) _capLoaded = false;
        return outcome;
    }

    private async Task LoadCapAsync(DateTimeOffset now)
    {
        _cap.Load(await automated.AutomatedSinceAsync(Contact, now - AutomatedCap.Window, CancellationToken.None));
        _capLoaded = true;
    }

    public Task<DateTimeOffset?> SendWaitUntil(RecipientLimits limits)
    {
        var now = clock.GetUtcNow();
        var lookBack = SendLimits.RecipientLookBack(limits);
        return Task.FromResult(SendLimits.RecipientWaitUntil(_sends.Where(t => t > now - lookBack), limits, now));
    }

    public Task SendAccepted(DateTimeOffset at)
    {
        _sends.Add(at);
        var horizon = clock.GetUtcNow() - KeepFor;
        _sends.RemoveAll(t => t < horizon);
        return Task.CompletedTask;
    }
}
