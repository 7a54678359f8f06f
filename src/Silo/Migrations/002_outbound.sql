-- Outbound messaging: sends, per-window quota, rate limits, access tokens, the usage ledger.

alter table messages
    add column idempotency_key text,
    add column author_id text,
    add column out_of_window boolean not null default false,
    add column category text,                 -- service | business_initiated
    add column payload jsonb,                 -- what is sent to the provider
    add column warnings text[] not null default '{}',
    add column failure_code int,
    add column failure_reason text,
    add column accepted_at timestamptz;       -- when the provider took it (rate limits count these)
create unique index messages_idempotency on messages (business_id, idempotency_key) where idempotency_key is not null;
create index messages_recipient_sends on messages (contact_id, accepted_at) where direction = 'out' and accepted_at is not null;

alter table conversations
    add column window_sends int not null default 0;   -- sends since the customer's last message (WeChat quota)

-- Fixed one-second windows of sends per channel, shared by every node.
create table send_rate (
    channel_id  uuid not null,
    second      bigint not null,
    sends       int not null,
    primary key (channel_id, second)
);

-- One access token per WeChat channel, fetched by one node at a time (row lock).
create table access_tokens (
    channel_id   uuid primary key references channels(id),
    token        text not null,
    expires_at   timestamptz not null,
    fetched_at   timestamptz not null,
    fetched_by   text not null
);

-- Every sent message priced once, when the provider accepted it.
create table usage_ledger (
    message_id     uuid primary key references messages(id),
    business_id    uuid not null,
    channel_id     uuid not null,
    sent_at        timestamptz not null,
    month          date not null,
    day            date not null,
    category       text not null,       -- service | business_initiated
    out_of_window  boolean not null,
    country_code   text,
    region         text,
    free_tier      boolean not null,
    price          numeric(12,4) not null,
    surcharge      numeric(12,4) not null
);
create index usage_ledger_month on usage_ledger (business_id, month);

-- Business-initiated messages counted per business and month (the free tier is the first N).
create table usage_counters (
    business_id          uuid not null,
    month                date not null,
    business_initiated   int not null,
    primary key (business_id, month)
);
