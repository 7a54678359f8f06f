-- Foundation: tenants, API keys, channels, contacts, conversations, messages,
-- and the entity runtime's own tables (timers, outbox, events, nodes).

create table businesses (
    id          uuid primary key,
    name        text not null,
    time_zone   text not null default 'UTC',
    created_at  timestamptz not null,
    updated_at  timestamptz not null
);

create table api_keys (
    id           uuid primary key,
    business_id  uuid not null references businesses(id),
    name         text not null,
    prefix       text not null,
    key_hash     bytea not null unique,
    role         text not null check (role in ('Administrator','Editor','Agent','Analyst')),
    created_at   timestamptz not null,
    updated_at   timestamptz not null,
    revoked_at   timestamptz
);

create table channels (
    id           uuid primary key,
    business_id  uuid not null references businesses(id),
    kind         text not null check (kind in ('whatsapp','wechat')),
    name         text not null,
    enabled      boolean not null default true,
    -- non-secret settings (phone number id, display number, API base URL, version, window length…)
    settings     jsonb not null,
    -- app secret, verify token, access token, WeChat token and AES key: never returned by the API
    secrets      jsonb not null,
    created_at   timestamptz not null,
    updated_at   timestamptz not null,
    version      bigint not null default 1
);
create unique index channels_whatsapp_phone on channels ((settings->>'phoneNumberId')) where kind = 'whatsapp';

create table contacts (
    id            uuid primary key,
    business_id   uuid not null references businesses(id),
    channel_id    uuid not null references channels(id),
    external_id   text not null,          -- wa_id, else BSUID; WeChat OpenID
    name          text,
    phone         text,
    bsuid         text,
    first_seen_at timestamptz not null,
    last_seen_at  timestamptz not null,
    created_at    timestamptz not null,
    updated_at    timestamptz not null,
    version       bigint not null default 1,
    unique (channel_id, external_id)
);
create index contacts_business on contacts (business_id, updated_at, id);

create table conversations (
    id                uuid primary key,
    business_id       uuid not null references businesses(id),
    channel_id        uuid not null references channels(id),
    contact_id        uuid not null references contacts(id),
    status            text not null check (status in ('open','resolved')),
    assignee_id       uuid,
    labels            text[] not null default '{}',
    opened_at         timestamptz not null,
    resolved_at       timestamptz,
    last_inbound_at   timestamptz,
    last_message_at   timestamptz,
    window_closes_at  timestamptz,
    unread_count      int not null default 0,
    message_count     int not null default 0,
    created_at        timestamptz not null,
    updated_at        timestamptz not null,
    version           bigint not null default 1
);
-- One open conversation per contact and channel.
create unique index conversations_one_open on conversations (channel_id, contact_id) where status = 'open';
create index conversations_business_updated on conversations (business_id, updated_at, id);
create index conversations_contact on conversations (contact_id);

create table messages (
    id                   uuid primary key,
    business_id          uuid not null,
    conversation_id      uuid not null references conversations(id) deferrable initially deferred,
    channel_id           uuid not null references channels(id),
    contact_id           uuid not null references contacts(id),
    direction            text not null check (direction in ('in','out')),
    provider_message_id  text,
    type                 text not null,
    text                 text,
    content              jsonb not null,
    reply_to_provider_id text,
    sent_at              timestamptz not null,   -- provider timestamp for inbound
    status               text,
    status_rank          int not null default 0,
    status_at            timestamptz,
    error                jsonb,
    created_at           timestamptz not null,
    updated_at           timestamptz not null,
    -- exactly once: the provider's id is unique per channel
    unique (channel_id, provider_message_id)
);
create index messages_conversation on messages (conversation_id, created_at, id);

-- A status webhook can overtake the send that produced its message id: it waits here.
create table pending_statuses (
    channel_id           uuid not null,
    provider_message_id  text not null,
    status               text not null,
    status_rank          int not null,
    status_at            timestamptz not null,
    error                jsonb,
    received_at          timestamptz not null,
    primary key (channel_id, provider_message_id)
);

-- WeChat events (subscribe, scan, menu clicks…): no MsgId, deduplicated by their own key.
create table channel_events (
    id           bigserial primary key,
    channel_id   uuid not null references channels(id),
    contact_id   uuid not null references contacts(id),
    event_key    text not null,
    event        text not null,
    content      jsonb not null,
    occurred_at  timestamptz not null,
    created_at   timestamptz not null,
    unique (channel_id, event_key)
);

-- Entity runtime -------------------------------------------------------------

-- Durable timers (the reminders of a virtual-actor runtime): one per entity and kind.
-- Generations come from a sequence so a re-created timer never reuses an old firing's generation.
create sequence timer_generation;
create table timers (
    entity_type  text not null,
    entity_id    uuid not null,
    kind         text not null,
    due_at       timestamptz not null,
    generation   bigint not null default nextval('timer_generation'),
    lease_owner  text,
    lease_until  timestamptz,
    created_at   timestamptz not null,
    primary key (entity_type, entity_id, kind)
);
create index timers_due on timers (due_at);

-- Every side effect is recorded here in the transaction that decides it.
create table outbox (
    id               bigserial primary key,
    business_id      uuid not null,
    topic            text not null,
    ordering_key     text,
    idempotency_key  text not null unique,
    payload          jsonb not null,
    status           text not null default 'pending' check (status in ('pending','done','failed')),
    attempts         int not null default 0,
    due_at           timestamptz not null,
    lease_owner      text,
    lease_until      timestamptz,
    last_error       text,
    created_at       timestamptz not null,
    updated_at       timestamptz not null
);
create index outbox_due on outbox (due_at, id) where status = 'pending';

-- What happened, as it happened: the source for reports and integrations.
create table entity_events (
    id           bigserial primary key,
    business_id  uuid not null,
    entity_type  text not null,
    entity_id    uuid not null,
    type         text not null,
    occurred_at  timestamptz not null,
    data         jsonb not null
);
create index entity_events_entity on entity_events (entity_type, entity_id, id);
create index entity_events_business on entity_events (business_id, occurred_at);

-- Cluster membership: which engine nodes are alive and what each does.
create table nodes (
    id            text primary key,
    host          text not null,
    pid           int not null,
    roles         text not null,
    started_at    timestamptz not null,
    heartbeat_at  timestamptz not null,
    stopped_at    timestamptz
);
