-- What a waiting customer was last told of their place in the queue: a new notice goes out when the place improved
-- markedly, at most every few minutes.
create table queue_notices (
    conversation_id uuid primary key references conversations(id) on delete cascade,
    position        int not null,
    told_at         timestamptz not null
);
-- The system notice an outbound message is (queued, update, assigned): held back behind a person's reply under the
-- new-customer limit, and dropped when it no longer applies.
alter table messages add column notice text;
-- First response in business time (only the open hours count), as the first reply recorded it.
alter table conversations add column first_response_s double precision;

-- The rollups count first response in business time too (the row's own figure; wall time for rows from before it).
create or replace function report_facts(v conversations, sign int) returns table (
    business_id uuid, hour timestamptz, dim text, value text,
    conversations bigint, replied bigint, resolved bigint, resolved_24h bigint, abandoned bigint, transferred bigint, bot_resolved bigint, converted bigint,
    frt_n bigint, frt_sum float8, frt_sumsq float8, res_n bigint, res_sum float8, res_sumsq float8, human_res_n bigint, human_res_sum float8,
    wait_lt5 bigint, wait_5_15 bigint, wait_gt15 bigint, conv_lt5 bigint, conv_5_15 bigint, conv_gt15 bigint, labelled bigint, repeated bigint,
    returned bigint, continued bigint, frt float8, res float8)
language sql stable as $$
    with f as (
        select coalesce(v.first_response_s,
                        extract(epoch from v.first_human_reply_at - coalesce(v.handed_over_at, v.opened_at))::float8) as frt,
               extract(epoch from v.resolved_at - v.opened_at)::float8 as res,
               (select p.language from contacts p where p.id = v.contact_id) as language,
               cardinality(v.labels) > 0 and exists (
                   select 1 from conversations o where o.contact_id = v.contact_id and o.id <> v.id and o.labels && v.labels
                      and o.opened_at < v.opened_at and o.opened_at >= v.opened_at - interval '7 days') as repeated,
               -- Continuity: the contact's previous conversation, resolved in the 72 hours before this one opened, and who had it.
               (select array[o.assignee_id] from conversations o
                 where o.contact_id = v.contact_id and o.id <> v.id and o.assignee_id is not null
                   and o.resolved_at <= v.opened_at and o.resolved_at > v.opened_at - interval '72 hours'
                 order by o.resolved_at desc limit 1) as previous),
    d as (
        select 'all'::text as dim, ''::text as value
        union all select 'channel', v.channel_id::text
        union all select 'team', v.team_id::text where v.team_id is not null
        union all select 'agent', v.assignee_id::text where v.assignee_id is not null
        union all select 'language', f.language from f where f.language is not null
        union all select 'label', l from unnest(v.labels) l)
    select v.business_id, date_trunc('hour', v.opened_at), d.dim, d.value,
           sign::bigint, sign * (v.first_human_reply_at is not null or v.bot_replies > 0)::int, sign * (v.resolved_at is not null)::int,
           sign * coalesce(v.resolved_at - v.opened_at <= interval '24 hours' and v.resolution is distinct from 'abandoned', false)::int,
           sign * (v.status = 'resolved' and v.first_human_reply_at is null and v.bot_outcome is distinct from 'resolved')::int,
           sign * (v.handovers > 0)::int, sign * coalesce(v.bot_outcome = 'resolved', false)::int, sign * (v.converted_at is not null)::int,
           sign * (f.frt is not null)::int, sign * coalesce(f.frt, 0), sign * coalesce(f.frt * f.frt, 0),
           sign * (f.res is not null)::int, sign * coalesce(f.res, 0), sign * coalesce(f.res * f.res, 0),
           sign * (f.res is not null and v.first_human_reply_at is not null)::int, sign * case when v.first_human_reply_at is not null then coalesce(f.res, 0) else 0 end,
           sign * coalesce(f.frt < 300, false)::int, sign * coalesce(f.frt >= 300 and f.frt <= 900, false)::int, sign * coalesce(f.frt > 900, false)::int,
           sign * coalesce(f.frt < 300 and v.converted_at is not null, false)::int, sign * coalesce(f.frt >= 300 and f.frt <= 900 and v.converted_at is not null, false)::int,
           sign * coalesce(f.frt > 900 and v.converted_at is not null, false)::int,
           sign * (cardinality(v.labels) > 0)::int, sign * f.repeated::int,
           sign * (f.previous is not null)::int, sign * coalesce(f.previous[1] = v.assignee_id, false)::int,
           f.frt, f.res
      from f cross join d
$$;
