namespace Engine.Grains.Interfaces.Customers;

/// <summary>
/// One customer identity as a recipient (key <c>cust:{contactId}</c>): the sends it received recently, so the
/// provider's per-recipient pair limit and the 5-a-minute limit for a new customer hold whichever silo dispatches.
/// </summary>
[Alias("customer")]
public interface ICustomerGrain : IGrainWithStringKey
{
    /// <summary>When the next send may go (null: now).</summary>
    [Alias("send-wait-until")]
    Task<DateTimeOffset?> SendWaitUntil(RecipientLimits limits);

    /// <summary>The provider accepted a send to this customer at <paramref name="at"/>.</summary>
    [Alias("send-accepted")]
    Task SendAccepted(DateTimeOffset at);
}

/// <summary>The limits a send to one recipient is held to, and when the customer first wrote.</summary>
[GenerateSerializer, Immutable, Alias("recipient-limits")]
public sealed record RecipientLimits(
    [property: Id(0)] int PairLimit,
    [property: Id(1)] TimeSpan PairWindow,
    [property: Id(2)] int NewCustomerSendsPerMinute,
    [property: Id(3)] TimeSpan NewCustomerAge,
    [property: Id(4)] DateTimeOffset FirstSeen);
