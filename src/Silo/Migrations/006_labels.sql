-- Labels in two levels (main → sub), applied by hand or by auto-label rules.

create table labels (
    id           uuid primary key,
    business_id  uuid not null references businesses(id),
    name         text not null,
    parent_id    uuid references labels(id),
    path         text not null,            -- "After-sales/7-day return"
    created_at   timestamptz not null,
    updated_at   timestamptz not null,
    unique (business_id, path)
);

create table label_rules (
    id           uuid primary key,
    business_id  uuid not null references businesses(id),
    label_id     uuid not null references labels(id),
    keywords     text[] not null default '{}',
    pattern      text,
    created_at   timestamptz not null,
    updated_at   timestamptz not null
);
create index label_rules_business on label_rules (business_id);

create table conversation_labels (
    conversation_id  uuid not null references conversations(id) deferrable initially deferred,
    label_id         uuid not null references labels(id),
    applied_at       timestamptz not null,
    applied_by       text not null,       -- a user id, an API key id, or 'rule'
    primary key (conversation_id, label_id)
);
create index conversation_labels_label on conversation_labels (label_id, applied_at);
