-- People, teams, assignment, conversation locks, notes and the audit log.

alter table businesses
    add column lock_minutes int not null default 7 check (lock_minutes between 5 and 15),
    add column idle_release_minutes int not null default 3 check (idle_release_minutes between 1 and 60),
    add column sticky_hours int not null default 72,
    add column version bigint not null default 1;

-- People who log in. Agents are users with the agent fields filled in; every role but Analyst can take conversations.
create table users (
    id              uuid primary key,
    business_id     uuid not null references businesses(id),
    email           text not null unique,
    name            text not null,
    role            text not null check (role in ('Administrator','Editor','Agent','Analyst')),
    password_hash   text not null,
    skills          text[] not null default '{}',
    languages       text[] not null default '{}',
    tier            text not null default 'frontline' check (tier in ('frontline','senior','supervisor')),
    capacity        int not null default 5 check (capacity between 1 and 100),
    presence        text not null default 'offline' check (presence in ('online','away','busy','offline')),
    last_active_at  timestamptz,
    open_load       int not null default 0 check (open_load >= 0),
    handovers       int not null default 0,
    last_assigned_at timestamptz,
    disabled_at     timestamptz,
    created_at      timestamptz not null,
    updated_at      timestamptz not null,
    version         bigint not null default 1
);
create index users_business on users (business_id);

create table user_sessions (
    token_hash  bytea primary key,
    user_id     uuid not null references users(id),
    created_at  timestamptz not null,
    expires_at  timestamptz not null
);

alter table api_keys add column user_id uuid references users(id);

create table teams (
    id               uuid primary key,
    business_id      uuid not null references businesses(id),
    name             text not null,
    strategy         text not null check (strategy in ('round_robin','least_open','round_robin_online','manual')),
    required_skills  text[] not null default '{}',
    match_language   boolean not null default false,
    is_default       boolean not null default false,
    created_at       timestamptz not null,
    updated_at       timestamptz not null,
    version          bigint not null default 1,
    unique (business_id, name)
);
create unique index teams_one_default on teams (business_id) where is_default;

create table team_members (
    team_id  uuid not null references teams(id),
    user_id  uuid not null references users(id),
    primary key (team_id, user_id)
);
create index team_members_user on team_members (user_id);

alter table contacts
    add column vip boolean not null default false,
    add column language text,
    add column dedicated_agent_id uuid references users(id),
    add column last_agent_id uuid references users(id),
    add column last_served_at timestamptz;

alter table conversations
    add column team_id uuid references teams(id),
    add column priority int not null default 0,          -- VIP conversations (1) jump the queue
    add column queued_at timestamptz,
    add column required_tier text,
    add column assigned_at timestamptz,
    add column first_human_reply_at timestamptz,
    add column lock_holder uuid references users(id),
    add column lock_until timestamptz,
    add column lock_last_action_at timestamptz,
    add column handovers int not null default 0,
    add column released_from uuid references users(id);  -- the agent it was taken from (idle release, transfer): not offered back to them
create index conversations_queue on conversations (team_id, priority desc, queued_at, id)
    where status = 'open' and assignee_id is null and team_id is not null;
create index conversations_assignee on conversations (assignee_id) where status = 'open';

create table conversation_notes (
    id               uuid primary key,
    conversation_id  uuid not null references conversations(id),
    author_id        uuid not null references users(id),
    text             text not null check (char_length(text) <= 300),
    created_at       timestamptz not null,
    updated_at       timestamptz not null
);
create index conversation_notes_conversation on conversation_notes (conversation_id, created_at);

create table audit_log (
    id           bigserial primary key,
    business_id  uuid not null,
    actor_type   text not null,       -- user | api_key | system
    actor_id     text not null,
    actor_name   text,
    action       text not null,
    entity_type  text not null,
    entity_id    text not null,
    at           timestamptz not null,
    before       jsonb,
    after        jsonb
);
create index audit_log_business on audit_log (business_id, at desc, id desc);
create index audit_log_entity on audit_log (entity_type, entity_id);
