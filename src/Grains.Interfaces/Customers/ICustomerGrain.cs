using Engine.Grains.Interfaces.Ingestion;
using Orleans.Concurrency;

namespace Engine.Grains.Interfaces.Customers;

/// <summary>
/// A customer (key <c>cust:{contactId}</c>). As a recipient (one identity): the sends it received recently, so the
/// provider's per-recipient pair limit and the 5-a-minute limit for a new customer hold whichever silo dispatches.
/// As a customer (key of the merged customer's root identity): the automated-message cap, at most 3 in any 24 hours
/// across every channel of the customer, reserved by each bot turn so that turns on two channels cannot both spend it.
/// Changes people and integrations make to a customer's profile (updates, notes, merges) are made by its grain.
/// What the customer sends arrives here too: a webhook delivery is split by customer and each part is received by the
/// grain of the identity that wrote (<c>cust:{ContactIds.For(channel, external id)}</c>), which commits it, or, once a
/// commit told it the identity is stored as another customer (merged into it), hands it to that customer's grain.
/// </summary>
/// <remarks>The recipient's and the cap's methods interleave with <see cref="Receive"/>: a bot turn in the commit
/// that a receive awaits reserves from this same grain.</remarks>
[Alias("customer")]
public interface ICustomerGrain : IGrainWithStringKey
{
    /// <summary>The customer's part of a webhook delivery (messages and channel events of one identity): completes once
    /// it is committed, with the customer the identity is stored as (its merged root).</summary>
    [Alias("receive")]
    Task<Guid> Receive(InboundBatch part);

    /// <summary>When the next send may go (null: now).</summary>
    [Alias("send-wait-until"), AlwaysInterleave]
    Task<DateTimeOffset?> SendWaitUntil(RecipientLimits limits);

    /// <summary>The provider accepted a send to this customer at <paramref name="at"/>.</summary>
    [Alias("send-accepted"), AlwaysInterleave]
    Task SendAccepted(DateTimeOffset at);

    /// <summary>Reserves, for one bot turn, every automated message the customer may still receive in the sliding 24
    /// hours.</summary>
    [Alias("reserve-automated"), AlwaysInterleave]
    Task<AutomatedAllowance> ReserveAutomated();

    /// <summary>The turn's transaction ended (committed or not): the reservation is freed and what was sent is read
    /// again.</summary>
    [Alias("settle-automated"), AlwaysInterleave]
    Task SettleAutomated(Guid lease);

    /// <summary>A change to this customer's profile (an update, a note, another identity merged into it): made here
    /// only.</summary>
    [Alias("change")]
    Task<ProfileOutcome> Change(ProfileChange change);

    /// <summary>The customer was erased: this activation forgets what it keeps (the identity's customer and open
    /// conversation, its recent sends, the cap), so the person writing again is a new customer.</summary>
    [Alias("forget"), OneWay]
    Task Forget();
}

[GenerateSerializer, Alias("profile-change-kind")]
public enum ProfileChangeKind { Update, Note, Merge, Crm, Served }

/// <summary>What changes: the update's fields or the CRM event (as JSON), the note's text, the identity merged in and
/// the fields taken from it, or the agent who served the customer last and when (the sticky owner).</summary>
[GenerateSerializer, Immutable, Alias("profile-change")]
public sealed record ProfileChange(
    [property: Id(0)] ProfileChangeKind Kind,
    [property: Id(1)] Conversations.CommandActor Actor,
    [property: Id(2)] string? UpdateJson = null,
    [property: Id(3)] string? Text = null,
    [property: Id(4)] Guid? MergeFrom = null,
    [property: Id(5)] IReadOnlyList<string>? PreferSource = null,
    [property: Id(6)] Guid? AgentId = null,
    [property: Id(7)] DateTimeOffset? At = null);

/// <summary>Done (<see cref="Found"/> false: no such contact in the business), the note's id, whether a CRM event was a
/// repeat, or refused with a code.</summary>
[GenerateSerializer, Immutable, Alias("profile-outcome")]
public sealed record ProfileOutcome(
    [property: Id(0)] bool Found,
    [property: Id(1)] Guid? NoteId = null,
    [property: Id(2)] string? Code = null,
    [property: Id(3)] string? Detail = null,
    [property: Id(4)] bool Duplicate = false);

/// <summary>A bot turn's share of the cap: <see cref="Granted"/> messages at most; <see cref="Spent"/> = the cap
/// minus that.</summary>
[GenerateSerializer, Immutable, Alias("automated-allowance")]
public sealed record AutomatedAllowance([property: Id(0)] Guid Lease, [property: Id(1)] int Granted, [property: Id(2)] int Spent);

/// <summary>The limits a send to one recipient is held to, and when the customer first wrote.</summary>
[GenerateSerializer, Immutable, Alias("recipient-limits")]
public sealed record RecipientLimits(
    [property: Id(0)] int PairLimit,
    [property: Id(1)] TimeSpan PairWindow,
    [property: Id(2)] int NewCustomerSendsPerMinute,
    [property: Id(3)] TimeSpan NewCustomerAge,
    [property: Id(4)] DateTimeOffset FirstSeen);
