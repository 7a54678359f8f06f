-- Auto-replies, business hours, keyword routing and the bot's outcome per conversation.

alter table businesses add column hours jsonb;   -- null: open 08:00–22:00 every day

create table auto_reply_rules (
    id           uuid primary key,
    business_id  uuid not null references businesses(id),
    name         text not null,
    trigger      text not null check (trigger in ('first_contact','keyword','offline')),
    keywords     text[] not null default '{}',
    language     text,
    active_from  time,
    active_to    time,
    variants     text[] not null,
    buttons      jsonb not null default '[]',
    priority     int not null default 0,
    enabled      boolean not null default true,
    created_at   timestamptz not null,
    updated_at   timestamptz not null,
    version      bigint not null default 1
);
create index auto_reply_rules_business on auto_reply_rules (business_id);

-- Keyword (or pattern) → team: a routed conversation waits in that team's queue.
create table routing_rules (
    id           uuid primary key,
    business_id  uuid not null references businesses(id),
    team_id      uuid not null references teams(id),
    keywords     text[] not null default '{}',
    pattern      text,
    labels       text[] not null default '{}',     -- label paths: a conversation auto-labelled so goes to the team
    priority     int not null default 0,
    created_at   timestamptz not null,
    updated_at   timestamptz not null
);
create index routing_rules_business on routing_rules (business_id);

alter table conversations
    add column bot_outcome text check (bot_outcome in ('resolved','handed_over')),
    add column bot_replies int not null default 0;

create index messages_bot_recent on messages (contact_id, created_at) where author_id = 'bot';
