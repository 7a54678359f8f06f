-- Chatbot QA flows, versioned: a conversation keeps the version it started with.
create table bot_flows (
    id              uuid primary key,          -- one row per version
    business_id     uuid not null references businesses(id),
    key             text not null,
    version         int not null,
    name            text not null,
    entry_keywords  text[] not null,
    definition      jsonb not null,
    enabled         boolean not null default true,
    created_at      timestamptz not null,
    unique (business_id, key, version)
);

create table conversation_flows (
    conversation_id  uuid primary key references conversations(id) deferrable initially deferred,
    flow_id          uuid not null references bot_flows(id),
    node             text not null,
    misses           int not null default 0,
    updated_at       timestamptz not null
);
