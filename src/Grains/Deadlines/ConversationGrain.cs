using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Deadlines;
using Engine.Grains.Interfaces.Ingestion;
using Microsoft.Extensions.Logging;

namespace Engine.Grains.Deadlines;

/// <summary>Where a conversation grain commits a person's command (the Silo implements it: access check, decision by
/// <see cref="Conversations.ConversationRules"/>, the fenced write with its events, outbox rows and
/// deadlines).</summary>
public interface IConversationCommandPort
{
    Task<CommandOutcome> RunAsync(Guid conversation, ConversationCommand command, CancellationToken ct);

    Task<SendOutcome> SendAsync(Guid conversation, SendCommand command, CancellationToken ct);
}

/// <summary>
/// The conversation's grain (key <c>conv:{id}</c>): owns its deadlines — the lock's expiry (7 min), idle release
/// (3 min), the response window's close, inactivity (24 h), the bot's quiet period (30 min), and its alert checks
/// (first response, waiting) — and runs what people do to
/// it and commits what the customer writes to it, so a command, a customer's message and a deadline of one
/// conversation never interleave anywhere in the cluster; after a command it
/// re-reads its deadlines in the same turn (a lock taken or released re-arms its timer at once). The rules each
/// deadline and command applies are <see cref="Conversations.ConversationRules"/>.
/// </summary>
public sealed class ConversationGrain(
    IConversationDeadlines store, IConversationCommandPort commands, Customers.IInboundPort inbound,
    TimeProvider clock, ILogger<ConversationGrain> logger)
    : DeadlineOwnerGrain(store, clock, logger), IConversationGrain
{
    public async Task<CommandOutcome> Run(ConversationCommand command)
    {
        var outcome = await commands.RunAsync(EntityId, command, CancellationToken.None);
        if (outcome.Code is null) await RearmAsync();
        return outcome;
    }

    public async Task<SendOutcome> Send(SendCommand command)
    {
        var outcome = await commands.SendAsync(EntityId, command, CancellationToken.None);
        if (outcome.MessageId is not null && !outcome.Repeated) await RearmAsync();
        return outcome;
    }

    /// <summary>The deadlines a customer's message sets (the response window, alert checks, none of them a lock's)
    /// are met by this grain's timer when it is armed anyway and by the silos' sweep otherwise, so a receive neither
    /// reads nor re-arms them: most conversations' grains are activated by their customers' messages.</summary>
    public Task<InboundStored> Receive(InboundBatch part) => inbound.CommitAsync(part, CancellationToken.None);
}

/// <summary>The business account's grain (key <c>biz:{id}</c>): owns its daily checks at local midnight.</summary>
public sealed class BusinessGrain(IBusinessDeadlines store, TimeProvider clock, ILogger<BusinessGrain> logger)
    : DeadlineOwnerGrain(store, clock, logger), IBusinessGrain;
