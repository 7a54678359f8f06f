using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Customers;
using Engine.Grains.Interfaces.Deadlines;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Runtime;
using Microsoft.Extensions.Logging;

namespace Engine.Silo.Conversations;

/// <summary>
/// What one grain's decision implies for an entity another grain owns: written as an outbox row in the deciding
/// transaction (so it happens exactly when that decision committed, whatever crashes after) and carried out by the
/// owning grain, so only that grain writes its entity. A customer's VIP change re-prioritises their open
/// conversations and a CRM conversion marks the conversation it happened in (conversation grain); the agent who
/// served a conversation becomes the customer's sticky owner (customer grain). Each is idempotent: carried out twice,
/// it changes nothing the second time.
/// </summary>
public static class FollowUps
{
    public const string ConversationTopic = "conversation.follow-up", ServedTopic = "customer.served";

    public static OutboxIntent Convert(Guid conversation, DateTimeOffset at) =>
        new(ConversationTopic, $"follow-up:convert:{conversation}", new { ConversationId = conversation, Kind = "convert", At = at },
            $"conversation:{conversation}");

    public static OutboxIntent Served(Guid contact, Guid agent, DateTimeOffset at) =>
        new(ServedTopic, $"follow-up:served:{contact}:{agent}:{at.UtcTicks}", new { ContactId = contact, AgentId = agent, At = at },
            $"customer:{contact}");

    /// <summary>The outbox rows re-prioritising the open conversations of customer <c>@id</c> (every identity merged into
    /// it) whose priority differs from <c>@p</c> (SQL over the conversations read in the deciding transaction; the
    /// conversations' grains write them).</summary>
    public const string PrioritiseOpenConversationsSql = $"""
        insert into outbox (business_id, topic, ordering_key, idempotency_key, payload, due_at, created_at, updated_at)
        select business_id, '{ConversationTopic}', 'conversation:' || id, 'follow-up:prioritise:' || gen_random_uuid(),
               jsonb_build_object('conversationId', id, 'kind', 'prioritise', 'priority', @p), @now, @now, @now
          from conversations
         where contact_id in (select id from contacts where id = @id or merged_into = @id) and status = 'open' and priority <> @p
        """;
}

/// <summary>Carries out a conversation follow-up through the conversation's grain.</summary>
public sealed class ConversationFollowUpHandler(IGrainFactory grains, ILogger<ConversationFollowUpHandler> log)
    : IOutboxHandler
{
    public string Topic => FollowUps.ConversationTopic;

    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        var id = item.Payload.GetProperty("conversationId").GetGuid();
        var actor = Actor.System(item.BusinessId).ToCommand();
        var command = item.Payload.GetProperty("kind").GetString() switch
        {
            "prioritise" => new ConversationCommand(CommandKind.Prioritise, actor,
                Priority: item.Payload.GetProperty("priority").GetInt32()),
            "convert" => new ConversationCommand(CommandKind.Convert, actor,
                At: item.Payload.GetProperty("at").GetDateTimeOffset()),
            var other => throw new InvalidOperationException($"No conversation follow-up '{other}'."),
        };
        var outcome = await grains.GetGrain<IConversationGrain>(GrainKeys.Conversation(id)).Run(command);
        if (outcome.Code is { } code)
            log.LogWarning("Follow-up {Kind} of conversation {Id} was refused: {Code}.", command.Kind, id, code);
        return new OutboxResult.Done();
    }
}

/// <summary>Makes the agent who served a customer their sticky owner, through the customer's grain.</summary>
public sealed class CustomerServedHandler(IGrainFactory grains) : IOutboxHandler
{
    public string Topic => FollowUps.ServedTopic;

    public async Task<OutboxResult> HandleAsync(OutboxItem item, CancellationToken ct)
    {
        var contact = item.Payload.GetProperty("contactId").GetGuid();
        await grains.GetGrain<ICustomerGrain>(GrainKeys.Customer(contact)).Change(new ProfileChange(
            ProfileChangeKind.Served, Actor.System(item.BusinessId).ToCommand(),
            AgentId: item.Payload.GetProperty("agentId").GetGuid(), At: item.Payload.GetProperty("at").GetDateTimeOffset()));
        return new OutboxResult.Done();
    }
}
