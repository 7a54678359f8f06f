-- Deadlines are part of their owners' state: a conversation's (lock expiry, idle release, the response window's close,
-- its alert checks) are kept with its row and written by the same fenced write as the rest of its state; a business's
-- daily check with its row. The generic timers table of the stand-in runtime goes.
alter table conversations
    add column deadlines jsonb not null default '{}'::jsonb,
    add column next_deadline_at timestamptz;
alter table businesses add column daily_check_at timestamptz;

update conversations c
   set deadlines = t.deadlines, next_deadline_at = t.next_at
  from (select entity_id,
               jsonb_object_agg(case when entity_type = 'alert' then
                                    case kind when 'first_response' then 'alert-first-response'
                                              when 'waiting' then 'alert-waiting'
                                              else 'alert-recheck' end
                                     else kind end,
                                to_jsonb(due_at)) as deadlines,
               min(due_at) as next_at
          from timers
         where entity_type = 'conversation' or (entity_type = 'alert' and kind <> 'daily')
         group by entity_id) t
 where c.id = t.entity_id;

update businesses b set daily_check_at = t.due_at
  from timers t where t.entity_type = 'alert' and t.kind = 'daily' and t.entity_id = b.id;

-- The silos' sweep reads what is overdue: only conversations with a deadline are in the index.
create index conversations_next_deadline on conversations (next_deadline_at) where next_deadline_at is not null;

drop table timers;
drop sequence timer_generation;
