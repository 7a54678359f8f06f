-- Deadlines live in their owning grain's state: the conversation's row (its lock expiry, idle release, response
-- window and alert checks) and the business's row (its daily check), as { "type:kind": { "due", "gen" } } plus the
-- earliest due time, which the silos' sweep reads. The stand-in's timers table goes.
alter table conversations add column deadlines jsonb not null default '{}', add column next_deadline_at timestamptz;
alter table businesses add column deadlines jsonb not null default '{}', add column next_deadline_at timestamptz;
create index conversations_next_deadline on conversations (next_deadline_at) where next_deadline_at is not null;
create index businesses_next_deadline on businesses (next_deadline_at) where next_deadline_at is not null;

-- The earliest due time of a set of deadlines (null when there is none).
create function deadlines_next(d jsonb) returns timestamptz language sql immutable as $$
    select min((v->>'due')::timestamptz) from jsonb_each(d) as e(k, v)
$$;

-- A business's daily check belongs to the business; every other deadline to the conversation its id names.
create function deadline_on_business(entity_type text, kind text) returns boolean language sql immutable as $$
    select entity_type = 'alert' and kind = 'daily'
$$;

-- Schedules (or moves) a deadline: a new generation every time, so a firing of the old one does nothing.
create function deadline_set(entity_type text, entity_id uuid, kind text, due timestamptz) returns void
language plpgsql as $$
declare
    entry jsonb := jsonb_build_object(entity_type || ':' || kind,
                                      jsonb_build_object('due', due, 'gen', nextval('timer_generation')));
begin
    if deadline_on_business(entity_type, kind) then
        update businesses set deadlines = deadlines || entry, next_deadline_at = deadlines_next(deadlines || entry)
         where id = entity_id;
    else
        update conversations set deadlines = deadlines || entry, next_deadline_at = deadlines_next(deadlines || entry)
         where id = entity_id;
    end if;
end $$;

create function deadline_cancel(entity_type text, entity_id uuid, kind text) returns void language plpgsql as $$
declare
    k text := entity_type || ':' || kind;
begin
    if deadline_on_business(entity_type, kind) then
        update businesses set deadlines = deadlines - k, next_deadline_at = deadlines_next(deadlines - k)
         where id = entity_id and deadlines ? k;
    else
        update conversations set deadlines = deadlines - k, next_deadline_at = deadlines_next(deadlines - k)
         where id = entity_id and deadlines ? k;
    end if;
end $$;

-- Takes a due deadline out if it is still this generation: true exactly once per scheduling.
create function deadline_take(entity_type text, entity_id uuid, kind text, generation bigint) returns boolean
language plpgsql as $$
declare
    k text := entity_type || ':' || kind;
    taken int;
begin
    if deadline_on_business(entity_type, kind) then
        update businesses set deadlines = deadlines - k, next_deadline_at = deadlines_next(deadlines - k)
         where id = entity_id and (deadlines->k->>'gen')::bigint = generation;
    else
        update conversations set deadlines = deadlines - k, next_deadline_at = deadlines_next(deadlines - k)
         where id = entity_id and (deadlines->k->>'gen')::bigint = generation;
    end if;
    get diagnostics taken = row_count;
    return taken > 0;
end $$;

update conversations c set deadlines = t.d, next_deadline_at = t.n
  from (select entity_id,
               jsonb_object_agg(entity_type || ':' || kind, jsonb_build_object('due', due_at, 'gen', generation)) d,
               min(due_at) n
          from timers where not deadline_on_business(entity_type, kind) group by entity_id) t
 where c.id = t.entity_id;
update businesses b set deadlines = t.d, next_deadline_at = t.n
  from (select entity_id,
               jsonb_object_agg(entity_type || ':' || kind, jsonb_build_object('due', due_at, 'gen', generation)) d,
               min(due_at) n
          from timers where deadline_on_business(entity_type, kind) group by entity_id) t
 where b.id = t.entity_id;
drop table timers;
