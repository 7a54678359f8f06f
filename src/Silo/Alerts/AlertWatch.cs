using Engine.Grains.Interfaces.Conversations;
using Engine.Grains.Interfaces.Runtime;
using Npgsql;

namespace Engine.Silo.Alerts;

/// <summary>
/// Arms and re-checks alert timers from the events a transaction records, so alerts are evaluated when something can
/// have changed and at the moment a threshold can be crossed — never by scanning. Opening and the bot's hand-over arm
/// the first-response timer; entering a queue arms the waiting timer (at the VIP threshold, the sooner one); being
/// assigned, answered or resolved re-checks the conversation's open alerts at once.
/// </summary>
public static class AlertWatch
{
    public const string EntityType = "alert";
    public const string FirstResponse = "first_response", Waiting = "waiting", Recheck = "recheck", Daily = "daily";

    public static void Append(NpgsqlBatch batch, IEnumerable<(Guid Business, string Type, Guid Id, DomainEvent Event)> events, DateTimeOffset now)
    {
        // One timer per conversation and kind: a statement may not touch the same row twice (and a group can hold two
        // decisions for one conversation), so the latest arming wins.
        var armed = new Dictionary<(Guid Id, string Kind), (Guid Business, DateTimeOffset At)>();
        var recheck = new HashSet<Guid>();
        void Arm(Guid id, string kind, Guid business, DateTimeOffset at)
        {
            if (!armed.TryGetValue((id, kind), out var known) || at >= known.At) armed[(id, kind)] = (business, at);
        }
        foreach (var (business, type, id, e) in events)
        {
            if (type != "conversation") continue;
            switch (e.Type)
            {
                case ConversationEvents.Opened or ConversationEvents.BotHandedOver: Arm(id, FirstResponse, business, e.At); break;
                case ConversationEvents.Queued: Arm(id, Waiting, business, e.At); break;
                case ConversationEvents.Assigned or ConversationEvents.HumanReplied or ConversationEvents.Resolved: recheck.Add(id); break;
            }
        }
        var arm = armed.Select(a => (a.Value.Business, a.Key.Id, a.Key.Kind, a.Value.At)).ToList();
        if (arm.Count > 0)
        {
            var cmd = new NpgsqlBatchCommand("""
                insert into timers (entity_type, entity_id, kind, due_at, created_at)
                select 'alert', u.i, u.k, u.a + make_interval(secs => case u.k
                           when 'first_response' then coalesce((select threshold from alert_rules r where r.business_id = u.b and r.kind = 'first_response'), 180)
                           else least(coalesce((select threshold from alert_rules r where r.business_id = u.b and r.kind = 'vip_waiting'), 30),
                                      coalesce((select threshold from alert_rules r where r.business_id = u.b and r.kind = 'waiting'), 300)) end::float8), @now
                  from unnest(@b, @i, @k, @a) as u(b, i, k, a)
                on conflict (entity_type, entity_id, kind) do update
                   set due_at = excluded.due_at, generation = nextval('timer_generation')
                """);
            cmd.Parameters.Add(new NpgsqlParameter("b", arm.Select(x => x.Business).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("i", arm.Select(x => x.Id).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("k", arm.Select(x => x.Kind).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("a", arm.Select(x => x.At).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("now", now));
            batch.BatchCommands.Add(cmd);
        }
        if (recheck.Count > 0)
        {
            // Only conversations with an alert open get a re-check: one index probe per conversation otherwise.
            var cmd = new NpgsqlBatchCommand("""
                insert into timers (entity_type, entity_id, kind, due_at, created_at)
                select distinct 'alert', a.subject_id, 'recheck', @now::timestamptz, @now::timestamptz from alerts a
                 where a.subject_id = any(@ids) and a.cleared_at is null
                on conflict (entity_type, entity_id, kind) do update
                   set due_at = excluded.due_at, generation = nextval('timer_generation')
                """);
            cmd.Parameters.Add(new NpgsqlParameter("ids", recheck.ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("now", now));
            batch.BatchCommands.Add(cmd);
        }
    }
}
