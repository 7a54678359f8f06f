-- Contacts as customers (profile, attributes, spend, notes, merging) and outbound webhooks for CRMs.

alter table contacts
    add column email text,
    add column country text,
    add column phone_e164 text,
    add column attributes jsonb not null default '{}',
    add column lifetime_spend numeric(14,2) not null default 0,
    add column last_order jsonb,
    add column tags text[] not null default '{}',
    add column merged_into uuid references contacts(id),
    add column merged_at timestamptz;
create index contacts_phone_e164 on contacts (business_id, phone_e164);
create index contacts_email on contacts (business_id, lower(email));
create index contacts_merged_into on contacts (merged_into);

-- Custom attributes are declared with a type before they are set.
create table contact_attributes (
    business_id  uuid not null references businesses(id),
    key          text not null,
    type         text not null check (type in ('text','number','boolean','date')),
    label        text not null,
    created_at   timestamptz not null,
    updated_at   timestamptz not null,
    primary key (business_id, key)
);

create table contact_notes (
    id          uuid primary key,
    contact_id  uuid not null references contacts(id),
    author      text not null,
    text        text not null check (char_length(text) <= 2000),
    created_at  timestamptz not null,
    updated_at  timestamptz not null
);
create index contact_notes_contact on contact_notes (contact_id, created_at);

alter table businesses add column auto_merge_verified_phone boolean not null default false;

-- Events integrators post (orders paid, profile updates), deduplicated by their own id.
create table crm_events (
    business_id   uuid not null,
    event_id      text not null,
    type          text not null,
    contact_id    uuid not null references contacts(id),
    payload       jsonb not null,
    received_at   timestamptz not null,
    primary key (business_id, event_id)
);

create table webhook_subscriptions (
    id             uuid primary key,
    business_id    uuid not null references businesses(id),
    url            text not null,
    secret         text not null,
    events         text[] not null,
    description    text,
    paused_at      timestamptz,
    pause_reason   text,
    failing_since  timestamptz,
    created_at     timestamptz not null,
    updated_at     timestamptz not null,
    version        bigint not null default 1
);
create index webhook_subscriptions_business on webhook_subscriptions (business_id);

-- Every attempt, for the subscription's delivery log.
create table webhook_attempts (
    id               bigserial primary key,
    subscription_id  uuid not null references webhook_subscriptions(id),
    event_id         bigint not null,
    event_type       text not null,
    outbox_id        bigint not null,
    status_code      int,
    error            text,
    duration_ms      int not null,
    succeeded        boolean not null,
    at               timestamptz not null
);
create index webhook_attempts_subscription on webhook_attempts (subscription_id, id desc);

-- Things the administrators must be told (a webhook paused…).
create table notifications (
    id           bigserial primary key,
    business_id  uuid not null,
    kind         text not null,
    text         text not null,
    data         jsonb not null default '{}',
    created_at   timestamptz not null,
    read_at      timestamptz
);
create index notifications_business on notifications (business_id, id desc);

-- The public name of each internal event that integrators can subscribe to (null: not published).
create function webhook_event_type(internal text) returns text language sql immutable as $$
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
    end
$$;
