-- Reply time: since when the customer has been waiting for a human answer (cleared by each human reply).
alter table conversations add column awaiting_since timestamptz;

-- Presence history: online hours per day come from these intervals (ended_at null: still in that state).
create table presence_log (
    id           bigserial primary key,
    business_id  uuid not null,
    user_id      uuid not null references users(id),
    presence     text not null,
    started_at   timestamptz not null,
    ended_at     timestamptz
);
create index presence_log_user on presence_log (user_id, started_at);
create unique index presence_log_open on presence_log (user_id) where ended_at is null;

-- Expected conversations handled per day (e.g. senior 120, new 60); null: judged against the team mean only.
alter table users add column daily_baseline int check (daily_baseline between 1 and 10000);

-- Alert thresholds per business; a missing row means the default of the spec.
create table alert_rules (
    business_id  uuid not null references businesses(id),
    kind         text not null check (kind in ('waiting','vip_waiting','first_response','abandonment','csat')),
    threshold    numeric not null check (threshold > 0),
    enabled      boolean not null default true,
    updated_at   timestamptz not null,
    primary key (business_id, kind)
);

-- Raised alerts; one open alert per kind and subject (a conversation, or the business for daily figures).
create table alerts (
    id           uuid primary key,
    business_id  uuid not null,
    kind         text not null,
    subject_id   uuid not null,
    value        numeric not null,
    threshold    numeric not null,
    text         text not null,
    raised_at    timestamptz not null,
    cleared_at   timestamptz
);
create unique index alerts_open on alerts (business_id, kind, subject_id) where cleared_at is null;
create index alerts_business on alerts (business_id, raised_at desc);
create index alerts_subject_open on alerts (subject_id) where cleared_at is null;

create or replace function webhook_event_type(internal text) returns text language sql immutable as $$
    select case internal
        when 'conversation.opened' then 'conversation.created'
        when 'conversation.assigned' then 'conversation.assigned'
        when 'conversation.transferred' then 'conversation.transferred'
        when 'conversation.resolved' then 'conversation.resolved'
        when 'conversation.reopened' then 'conversation.reopened'
        when 'message.received' then 'message.received'
        when 'message.sent' then 'message.sent'
        when 'message.failed' then 'message.failed'
        when 'csat.submitted' then 'csat.submitted'
        when 'contact.created' then 'contact.created'
        when 'contact.changed' then 'contact.changed'
        when 'contact.merged' then 'contact.merged'
        when 'alert.raised' then 'alert.raised'
        when 'alert.cleared' then 'alert.cleared'
    end
$$;

-- Hour-of-week volume reads conversations by opening time.
create index conversations_business_opened on conversations (business_id, opened_at);
