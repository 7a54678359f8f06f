-- Report rollups: every change to a conversation adds its contribution (new row minus old row) to hourly
-- counters by the hour it opened, as an append-only delta in the same statement; a worker folds the deltas into
-- the rollup tables. Reports over many conversations sum rollup rows plus the deltas not folded yet.
alter table conversations add column handed_over_at timestamptz, add column converted_at timestamptz;
update conversations v set handed_over_at = (select min(e.occurred_at) from entity_events e where e.entity_type = 'conversation' and e.entity_id = v.id and e.type = 'bot.handed_over')
 where v.bot_outcome = 'handed_over';
update conversations v set converted_at = (select min(e.occurred_at) from entity_events e where e.entity_type = 'conversation' and e.entity_id = v.id and e.type = 'conversation.converted')
 where exists (select 1 from entity_events e where e.entity_type = 'conversation' and e.entity_id = v.id and e.type = 'conversation.converted');

-- Bucket upper bounds in seconds for duration histograms (percentiles are interpolated inside a bucket).
create function report_bucket(seconds float8) returns smallint language sql immutable as $$
    select coalesce((select i from unnest(array[5,10,15,20,30,45,60,90,120,150,180,240,300,420,600,900,1200,1800,2700,3600,5400,7200,10800,14400,21600,
                                               28800,43200,86400,172800,604800]::float8[]) with ordinality as b(edge, i) where seconds < edge order by i limit 1), 31)::smallint
$$;

-- dim: 'all' (value ''), 'channel', 'team', 'agent', 'language', 'label' — one family per filter.
create table report_rollup (
    business_id uuid not null, hour timestamptz not null, dim text not null, value text not null,
    conversations bigint not null default 0, replied bigint not null default 0, resolved bigint not null default 0, resolved_24h bigint not null default 0,
    abandoned bigint not null default 0, transferred bigint not null default 0, bot_resolved bigint not null default 0, converted bigint not null default 0,
    frt_n bigint not null default 0, frt_sum float8 not null default 0, frt_sumsq float8 not null default 0,
    res_n bigint not null default 0, res_sum float8 not null default 0, res_sumsq float8 not null default 0,
    human_res_n bigint not null default 0, human_res_sum float8 not null default 0,
    wait_lt5 bigint not null default 0, wait_5_15 bigint not null default 0, wait_gt15 bigint not null default 0,
    conv_lt5 bigint not null default 0, conv_5_15 bigint not null default 0, conv_gt15 bigint not null default 0,
    labelled bigint not null default 0, repeated bigint not null default 0, returned bigint not null default 0, continued bigint not null default 0,
    received bigint not null default 0, moved bigint not null default 0, sent bigint not null default 0,
    reply_n bigint not null default 0, reply_sum float8 not null default 0, reply_sumsq float8 not null default 0,
    primary key (business_id, dim, value, hour)
);
create table report_rollup_delta (like report_rollup including defaults);
alter table report_rollup_delta add column id bigserial primary key;
create index report_rollup_delta_key on report_rollup_delta (business_id, dim, value, hour);

create table report_hist (
    business_id uuid not null, hour timestamptz not null, dim text not null, value text not null, metric text not null, bucket smallint not null, n bigint not null,
    primary key (business_id, dim, value, metric, hour, bucket)
);
create table report_hist_delta (like report_hist);
alter table report_hist_delta add column id bigserial primary key;
create index report_hist_delta_key on report_hist_delta (business_id, dim, value, metric, hour);

-- One conversation's contribution (sign +1 added, −1 taken back) to every family it belongs to.
create function report_facts(v conversations, sign int) returns table (
    business_id uuid, hour timestamptz, dim text, value text,
    conversations bigint, replied bigint, resolved bigint, resolved_24h bigint, abandoned bigint, transferred bigint, bot_resolved bigint, converted bigint,
    frt_n bigint, frt_sum float8, frt_sumsq float8, res_n bigint, res_sum float8, res_sumsq float8, human_res_n bigint, human_res_sum float8,
    wait_lt5 bigint, wait_5_15 bigint, wait_gt15 bigint, conv_lt5 bigint, conv_5_15 bigint, conv_gt15 bigint, labelled bigint, repeated bigint,
    returned bigint, continued bigint, frt float8, res float8)
language sql stable as $$
    with f as (
        select extract(epoch from v.first_human_reply_at - coalesce(v.handed_over_at, v.opened_at))::float8 as frt,
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
           sign * coalesce(v.resolved_at - v.opened_at <= interval '24 hours', false)::int,
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

-- Contributions to add (sign 1) or take back (sign −1), written as one delta row per rollup key: a group commit of a
-- thousand conversations adds a few rows.
create type report_change as (r conversations, sign int);

-- (Called on a transition table's rows, whose whole-row values reach a function as the table's type only as an argument.)
create function report_change_of(v conversations, sign int) returns report_change language sql immutable as $$ select (v, sign)::report_change $$;

create function report_apply(changes report_change[]) returns void language sql as $$
    with x as (select f.* from unnest(changes) c cross join lateral report_facts(c.r, c.sign) f),
    h as (
        insert into report_hist_delta (business_id, hour, dim, value, metric, bucket, n)
        select x.business_id, x.hour, x.dim, x.value, m.metric, report_bucket(m.s), sum(sign(x.conversations))
          from x cross join lateral (values ('frt', x.frt), ('res', x.res)) m(metric, s)
         where m.s is not null group by 1, 2, 3, 4, 5, 6 having sum(sign(x.conversations)) <> 0)
    insert into report_rollup_delta (business_id, hour, dim, value, conversations, replied, resolved, resolved_24h, abandoned, transferred, bot_resolved, converted,
                                     frt_n, frt_sum, frt_sumsq, res_n, res_sum, res_sumsq, human_res_n, human_res_sum, wait_lt5, wait_5_15, wait_gt15,
                                     conv_lt5, conv_5_15, conv_gt15, labelled, repeated, returned, continued)
    select business_id, hour, dim, value, sum(conversations), sum(replied), sum(resolved), sum(resolved_24h), sum(abandoned), sum(transferred), sum(bot_resolved),
           sum(converted), sum(frt_n), sum(frt_sum), sum(frt_sumsq), sum(res_n), sum(res_sum), sum(res_sumsq), sum(human_res_n), sum(human_res_sum),
           sum(wait_lt5), sum(wait_5_15), sum(wait_gt15), sum(conv_lt5), sum(conv_5_15), sum(conv_gt15), sum(labelled), sum(repeated), sum(returned), sum(continued)
      from x group by 1, 2, 3, 4
$$;

create function report_track() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        perform report_apply(array(select report_change_of(n, 1) from new_rows n));
    else
        -- Only rows whose reported fields changed: the old contribution is taken back and the new one added.
        perform report_apply(array(
            select c.x from new_rows n join old_rows o on o.id = n.id cross join lateral (values (report_change_of(n, 1)), (report_change_of(o, -1))) c(x)
             where (n.status, n.resolved_at, n.first_human_reply_at, n.handed_over_at, n.converted_at, n.bot_outcome, n.bot_replies > 0, n.handovers > 0,
                    n.team_id, n.assignee_id, n.labels, n.channel_id)
                   is distinct from
                   (o.status, o.resolved_at, o.first_human_reply_at, o.handed_over_at, o.converted_at, o.bot_outcome, o.bot_replies > 0, o.handovers > 0,
                    o.team_id, o.assignee_id, o.labels, o.channel_id)));
    end if;
    return null;
end $$;

create trigger report_track_insert after insert on conversations referencing new table as new_rows for each statement execute function report_track();
create trigger report_track_update after update on conversations referencing old table as old_rows new table as new_rows for each statement execute function report_track();

-- What exists already is counted once, as first deltas (in slices, to bound memory).
do $$
declare last uuid := '00000000-0000-0000-0000-000000000000';
begin
    loop
        perform report_apply(array(select report_change_of(v, 1) from conversations v where v.id > last order by v.id limit 50000));
        select id into last from (select id from conversations where id > last order by id limit 50000) s order by id desc limit 1;   -- null when none
        exit when last is null;
    end loop;
end $$;

-- Per-agent and reply-time figures, from events as they are recorded: assignments received, transfers and escalations
-- away, and every human reply's reply time (by the hour the event happened).
create function report_event_facts(p_business uuid, p_type text, p_at timestamptz, p_data jsonb) returns table (
    business_id uuid, hour timestamptz, dim text, value text, received bigint, moved bigint, reply float8)
language sql stable as $$
    select p_business, date_trunc('hour', p_at), d.dim, d.value, d.received, d.moved, d.reply
      from (
        select 'agent'::text as dim, p_data->>'agentId' as value, 1::bigint as received, 0::bigint as moved, null::float8 as reply
         where p_type = 'conversation.assigned' and p_data->>'agentId' is not null
        union all
        select 'agent', p_data->>'from', 0, 1, null where p_type in ('conversation.transferred', 'conversation.escalated') and p_data->>'from' is not null
        union all
        select 'agent', p_data->>'userId', 0, 0, (p_data->>'replySeconds')::float8
         where p_type = 'conversation.human_replied' and p_data->>'replySeconds' is not null and p_data->>'userId' is not null
        union all
        select 'all', '', 0, 0, (p_data->>'replySeconds')::float8 where p_type = 'conversation.human_replied' and p_data->>'replySeconds' is not null) d
$$;

create function report_apply_events(events entity_events[]) returns void language sql as $$
    with x as (
        select f.* from unnest(events) e cross join lateral report_event_facts(e.business_id, e.type, e.occurred_at, e.data) f
         where e.type in ('conversation.assigned', 'conversation.transferred', 'conversation.escalated', 'conversation.human_replied')),
    h as (
        insert into report_hist_delta (business_id, hour, dim, value, metric, bucket, n)
        select business_id, hour, dim, value, 'reply', report_bucket(reply), count(*) from x where reply is not null group by 1, 2, 3, 4, 5, 6)
    insert into report_rollup_delta (business_id, hour, dim, value, received, moved, reply_n, reply_sum, reply_sumsq)
    select business_id, hour, dim, value, sum(received), sum(moved), count(reply), coalesce(sum(reply), 0), coalesce(sum(reply * reply), 0)
      from x group by 1, 2, 3, 4
$$;

create function report_event_of(e entity_events) returns entity_events language sql immutable as $$ select e $$;

create function report_track_events() returns trigger language plpgsql as $$
begin
    perform report_apply_events(array(select report_event_of(e) from new_rows e
                                       where e.type in ('conversation.assigned', 'conversation.transferred', 'conversation.escalated', 'conversation.human_replied')));
    return null;
end $$;

create trigger report_track_events after insert on entity_events referencing new table as new_rows for each statement execute function report_track_events();

-- Events recorded before this migration, once (in slices).
do $$
declare last bigint := 0;
begin
    loop
        perform report_apply_events(array(select e from entity_events e where e.id > last order by e.id limit 200000));
        select max(id) into last from (select id from entity_events where id > last order by id limit 200000) s;
        exit when last is null;
    end loop;
end $$;

-- Messages people send, per agent (the template-usage report compares them with quick-reply uses).
create function report_track_messages() returns trigger language plpgsql as $$
begin
    insert into report_rollup_delta (business_id, hour, dim, value, sent)
    select business_id, date_trunc('hour', created_at), 'agent', author_id, count(*) from new_rows
     where direction = 'out' and author_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-' group by 1, 2, 3, 4;
    return null;
end $$;

create trigger report_track_messages after insert on messages referencing new table as new_rows for each statement execute function report_track_messages();

insert into report_rollup_delta (business_id, hour, dim, value, sent)
select business_id, date_trunc('hour', created_at), 'agent', author_id, count(*) from messages
 where direction = 'out' and author_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-' group by 1, 2, 3, 4;

-- What reports read: the folded rollups plus the deltas not folded yet (filters reach both sides).
create view report_rollup_current as
    select business_id, hour, dim, value, conversations, replied, resolved, resolved_24h, abandoned, transferred, bot_resolved, converted,
           frt_n, frt_sum, frt_sumsq, res_n, res_sum, res_sumsq, human_res_n, human_res_sum, wait_lt5, wait_5_15, wait_gt15,
           conv_lt5, conv_5_15, conv_gt15, labelled, repeated, returned, continued, received, moved, sent, reply_n, reply_sum, reply_sumsq
      from report_rollup
    union all
    select business_id, hour, dim, value, conversations, replied, resolved, resolved_24h, abandoned, transferred, bot_resolved, converted,
           frt_n, frt_sum, frt_sumsq, res_n, res_sum, res_sumsq, human_res_n, human_res_sum, wait_lt5, wait_5_15, wait_gt15,
           conv_lt5, conv_5_15, conv_gt15, labelled, repeated, returned, continued, received, moved, sent, reply_n, reply_sum, reply_sumsq
      from report_rollup_delta;
create view report_hist_current as
    select business_id, hour, dim, value, metric, bucket, n from report_hist
    union all
    select business_id, hour, dim, value, metric, bucket, n from report_hist_delta;
