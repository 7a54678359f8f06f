namespace Engine.Grains.Interfaces.Deadlines;

/// <summary>
/// A grain that owns an entity's deadlines (lock expiry, idle release, the response window, alert checks) and fires
/// each when it falls due: a grain timer while the grain is active, a reminder that re-activates it on a surviving
/// silo after a crash or collection.
/// </summary>
public interface IDeadlineOwnerGrain : IGrainWithStringKey
{
    /// <summary>Fires every deadline due now, in due order; returns how many fired.</summary>
    Task<int> FireDue();
}

/// <summary>
/// One conversation: its own deadlines and its alert checks (first response, waiting), what people do to it (lock,
/// assign, transfer, escalate, resolve, reopen, notes, replies) and what the customer writes to it, run one at a time
/// with the deadlines' firing.
/// </summary>
[Alias("conversation")]
public interface IConversationGrain : IDeadlineOwnerGrain
{
    [Alias("run")]
    Task<Conversations.CommandOutcome> Run(Conversations.ConversationCommand command);

    /// <summary>A reply: decided under the window's rules with the lock (a person's reply extends it) in the grain's
    /// turn.</summary>
    [Alias("send")]
    Task<Conversations.SendOutcome> Send(Conversations.SendCommand command);

    /// <summary>The customer wrote (their grain hands on their part of a webhook delivery): committed in this grain's
    /// turn, so it never interleaves with what people do to the conversation or its deadlines. Returns where it
    /// went: a conversation resolved meanwhile sends the customer's messages to a new one.</summary>
    [Alias("receive")]
    Task<Ingestion.InboundStored> Receive(Ingestion.InboundBatch part);
}

/// <summary>One business account: its daily checks (abandonment, CSAT) at local midnight.</summary>
[Alias("business")]
public interface IBusinessGrain : IDeadlineOwnerGrain;
