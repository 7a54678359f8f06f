using Engine.Grains.Contacts;
using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Customers;
using Engine.Grains.Interfaces.Deadlines;
using Engine.Grains.Interfaces.Ingestion;
using Engine.Grains.Messaging;

namespace Engine.Grains.Customers;

/// <summary>Where a customer grain reads the sends a recipient received (the Silo implements it on the messages
/// table).</summary>
public interface IRecipientHistory
{
    Task<IReadOnlyList<DateTimeOffset>> AcceptedSendsSinceAsync(Guid contactId, DateTimeOffset since,
        CancellationToken ct);
}

/// <summary>Where a customer grain commits what the customer sent (the Silo implements it: the node's group
/// commit).</summary>
public interface IInboundPort
{
    /// <summary>Completes once the part is committed, in a transaction shared with whatever else the node is
    /// committing; returns the customer the part's identity is stored as (its merged root) and the conversation its
    /// messages went to (the one open for the identity, or a new one).</summary>
    Task<InboundStored> CommitAsync(InboundBatch part, CancellationToken ct);
}

/// <summary>
/// The customer's grain as a recipient: it reads the sends of the last minutes when first asked (so a crash loses
/// nothing) and then keeps them in memory, so each dispatch asks it instead of the database. Sends to one recipient
/// are serialised by the outbox (one ordering key per conversation), so asking, sending and recording cannot interleave
/// for one recipient. A node that dies between the provider's acceptance and the record leaves this activation one send
/// short until it is re-activated (the database has it).
/// </summary>
/// <remarks>
/// <para>As the merged customer, it keeps the <see cref="AutomatedCap"/>: read from the messages when first asked and
/// after each bot turn settles, so the count is the database's, and turns in flight on any channel or node reserve
/// through it.</para>
/// <para>As the customer who writes, it commits their messages one delivery at a time, and remembers the provider
/// ids it committed lately, so the provider's redelivery of a message it already has is acknowledged without a
/// transaction. The grain of an identity (its key derived by <see cref="ContactIds"/>) learns from each commit which
/// customer the identity is stored as and from then on hands what it receives to that customer's grain; the customer's
/// grain learns, the same way, which conversation is open for each identity and has that conversation's grain commit
/// the messages. A merge or a resolved conversation reaches the routing with the next commit, and the database's row
/// locks keep a delivery routed the old way correct.</para>
/// </remarks>
public sealed class CustomerGrain(
    IRecipientHistory history, IAutomatedHistory automated, ICustomerProfilePort profiles, IInboundPort inbound,
    TimeProvider clock)
    : Grain, ICustomerGrain
{
    private static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(10);
    private const int RememberedIds = 512;
    private readonly List<DateTimeOffset> _sends = [];
    private Task? _sendsRead;
    private readonly AutomatedCap _cap = new();
    private bool _capLoaded;
    private long _capReadsStarted, _capReadApplied;
    private Guid? _storedAs;
    private readonly HashSet<(Guid, string)> _committed = [];
    private readonly Queue<(Guid, string)> _committedOrder = new();
    private readonly Dictionary<(Guid Channel, string ExternalId), Guid> _open = [];

    private Guid Contact => GrainKeys.IdOf(this.GetPrimaryKeyString());

    public async Task<Guid> Receive(InboundBatch part)
    {
        if (part.Writer is not { } identity) return Contact;
        // Called as the identity's grain (not handed on by one): the part belongs to the customer it is stored as.
        var asIdentity = ContactIds.For(part.ChannelId, identity.ExternalId) == Contact;
        if (asIdentity && _storedAs is { } customer && customer != Contact)
        {
            _storedAs = await GrainFactory.GetGrain<ICustomerGrain>(GrainKeys.Customer(customer)).Receive(part);
            return _storedAs.Value;
        }
        var fresh = part with { Messages = part.Messages.Where(m => !_committed.Contains(Key(part, m))).ToList() };
        if (fresh.Count == 0) return asIdentity ? _storedAs ?? Contact : Contact;
        var thread = (part.ChannelId, identity.ExternalId);
        // The identity's open conversation commits it in its own turn; until a commit told which one that is, or after
        // it was resolved, the messages are committed from here and the commit finds or opens it.
        var stored = _open.TryGetValue(thread, out var open)
            ? await GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Conversation(open)).Receive(fresh)
            : await inbound.CommitAsync(fresh, CancellationToken.None);
        if (stored.Conversation is { } conversation) _open[thread] = conversation;
        else _open.Remove(thread);
        if (asIdentity) _storedAs = stored.Customer;
        foreach (var m in fresh.Messages) Remember(Key(part, m));
        return stored.Customer;
    }

    private static (Guid, string) Key(InboundBatch part, InboundMessage m) => (part.ChannelId, m.ProviderMessageId);

    private void Remember((Guid, string) key)
    {
        if (!_committed.Add(key)) return;
        _committedOrder.Enqueue(key);
        if (_committedOrder.Count > RememberedIds) _committed.Remove(_committedOrder.Dequeue());
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
        // Read first, then free: the settled turn's messages are counted by its lease or by the history at every point.
        await LoadCapAsync(clock.GetUtcNow());
        _cap.Settle(lease);
    }

    public Task Forget()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public async Task<ProfileOutcome> Change(ProfileChange change)
    {
        var outcome = await profiles.ChangeAsync(Contact, change, CancellationToken.None);
        // A merge brings another identity's automated messages under this customer: read the cap again when next asked.
        if (change.Kind == ProfileChangeKind.Merge) _capLoaded = false;
        return outcome;
    }

    /// <summary>Reads the history; these calls interleave, so a read that started before one already applied is
    /// older than it and is dropped.</summary>
    private async Task LoadCapAsync(DateTimeOffset now)
    {
        var read = ++_capReadsStarted;
        var sent = await automated.AutomatedSinceAsync(Contact, now - AutomatedCap.Window, CancellationToken.None);
        if (read < _capReadApplied) return;
        _capReadApplied = read;
        _cap.Load(sent);
        _capLoaded = true;
    }

    /// <summary>The recipient's recent sends, read once per activation (calls that interleave share the one
    /// read).</summary>
    private Task ReadSendsAsync() => _sendsRead ??= ReadAsync();

    private async Task ReadAsync() =>
        _sends.AddRange(await history.AcceptedSendsSinceAsync(Contact, clock.GetUtcNow() - KeepFor, CancellationToken.None));

    public async Task<DateTimeOffset?> SendWaitUntil(RecipientLimits limits)
    {
        await ReadSendsAsync();
        var now = clock.GetUtcNow();
        var lookBack = SendLimits.RecipientLookBack(limits);
        return SendLimits.RecipientWaitUntil(_sends.Where(t => t > now - lookBack), limits, now);
    }

    public async Task SendAccepted(DateTimeOffset at)
    {
        await ReadSendsAsync();
        _sends.Add(at);
        var horizon = clock.GetUtcNow() - KeepFor;
        _sends.RemoveAll(t => t < horizon);
    }
}
