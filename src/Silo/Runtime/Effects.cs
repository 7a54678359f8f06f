using System.Text.Json;
using Engine.Grains.Interfaces.Runtime;
using Npgsql;
using NpgsqlTypes;

namespace Engine.Silo.Runtime;

/// <summary>
/// Collects what grain decisions asked for (events, outbox rows) during one transaction and
/// writes each kind with a single set-based statement, so a batch of a thousand decisions costs a
/// handful of round trips.
/// </summary>
public sealed class Effects
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly List<(Guid Business, string Type, Guid Id, DomainEvent Event)> _events = [];
    private readonly List<(Guid Business, OutboxIntent Intent, DateTimeOffset Due)> _outbox = [];

    /// <summary>The decision's events and outbox rows. Its timer intents are not effects: a conversation's deadlines
    /// are part of its state, written by <see cref="Conversations.ConversationStore.SaveAsync"/>.</summary>
    public void Add<TState>(string entityType, Guid entityId, Guid businessId, Decision<TState> decision, DateTimeOffset now)
    {
        foreach (var e in decision.Events) _events.Add((businessId, entityType, entityId, e));
        foreach (var o in decision.Outbox) _outbox.Add((businessId, o, now));
    }

    /// <summary>The tail of a statement whose CTE <c>e</c> returned inserted events (id, business_id, entity_id,
    /// type): one delivery per matching webhook subscription, ordered per entity.</summary>
    public const string DeliverEvents = """
        insert into outbox (business_id, topic, ordering_key, idempotency_key, payload, due_at, created_at, updated_at)
        select e.business_id, 'webhook.deliver', 'webhook:' || s.id || ':' || e.entity_id, 'webhook:' || s.id || ':' || e.id,
               jsonb_build_object('subscriptionId', s.id, 'eventId', e.id), @now, @now, @now
          from e join webhook_subscriptions s on s.business_id = e.business_id and webhook_event_type(e.type) = any(s.events)
         order by e.id
        """;

    public bool IsEmpty => _events.Count == 0 && _outbox.Count == 0;

    public void AppendTo(NpgsqlBatch batch, DateTimeOffset now)
    {
        if (_events.Count > 0)
        {
            // Each published event becomes one delivery per subscription, in the same transaction, ordered per entity
            // (a conversation's or a contact's events reach a subscriber in the order they happened).
            var cmd = new NpgsqlBatchCommand($"""
                with e as (
                    insert into entity_events (business_id, entity_type, entity_id, type, occurred_at, data)
                    select * from unnest(@b, @t, @i, @y, @a, @d)
                    returning id, business_id, entity_id, type)
                {DeliverEvents}
                """);
            cmd.Parameters.Add(new NpgsqlParameter("now", now));
            cmd.Parameters.Add(new NpgsqlParameter("b", _events.Select(e => e.Business).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("t", _events.Select(e => e.Type).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("i", _events.Select(e => e.Id).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("y", _events.Select(e => e.Event.Type).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("a", _events.Select(e => e.Event.At).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("d", NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
                { Value = _events.Select(e => JsonSerializer.Serialize(e.Event.Data, Json)).ToArray() });
            batch.BatchCommands.Add(cmd);
        }

        if (_outbox.Count > 0)
        {
            var cmd = new NpgsqlBatchCommand("""
                insert into outbox (business_id, topic, ordering_key, idempotency_key, payload, due_at, created_at, updated_at)
                select b, t, o, k, p, d, @now, @now from unnest(@b, @t, @o, @k, @p, @d) as u(b, t, o, k, p, d)
                on conflict (idempotency_key) do nothing
                """);
            cmd.Parameters.Add(new NpgsqlParameter("b", _outbox.Select(o => o.Business).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("t", _outbox.Select(o => o.Intent.Topic).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("o", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = _outbox.Select(o => o.Intent.OrderingKey).ToArray() });
            cmd.Parameters.Add(new NpgsqlParameter("k", _outbox.Select(o => o.Intent.IdempotencyKey).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("p", NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
                { Value = _outbox.Select(o => JsonSerializer.Serialize(o.Intent.Payload, Json)).ToArray() });
            cmd.Parameters.Add(new NpgsqlParameter("d", _outbox.Select(o => o.Due).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("now", now));
            batch.BatchCommands.Add(cmd);
        }
    }
}
