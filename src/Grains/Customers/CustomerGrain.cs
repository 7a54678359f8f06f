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
public sealed class CustomerGrain(IRecipientHistory history, TimeProvider clock) : Grain, ICustomerGrain
{
    private static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(10);
    private readonly List<DateTimeOffset> _sends = [];

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var since = clock.GetUtcNow() - KeepFor;
        var contact = GrainKeys.IdOf(this.GetPrimaryKeyString());
        _sends.AddRange(await history.AcceptedSendsSinceAsync(contact, since, cancellationToken));
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
