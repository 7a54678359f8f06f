-- Quick-reply templates (shortcut, variables, scenario and language versions) and their use.
create table quick_replies (
    id           uuid primary key,
    business_id  uuid not null references businesses(id),
    shortcut     text not null,
    name         text not null,
    versions     jsonb not null,     -- [{scenario, language, text}]
    created_at   timestamptz not null,
    updated_at   timestamptz not null,
    version      bigint not null default 1,
    unique (business_id, shortcut)
);

create table quick_reply_uses (
    message_id    uuid primary key references messages(id),
    business_id   uuid not null,
    template_id   uuid not null references quick_replies(id),
    agent_id      text not null,
    used_at       timestamptz not null
);
create index quick_reply_uses_business on quick_reply_uses (business_id, used_at);
