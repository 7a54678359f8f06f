-- The Data Protection key ring, shared by every node (the keys that encrypt channel secrets, access tokens and webhook
-- signing secrets at rest). Rows written before encryption are re-written encrypted at start-up.
create table data_protection_keys (
    friendly_name text primary key,
    xml           text not null,
    created_at    timestamptz not null default now()
);
-- Channel secrets become one encrypted text value (the JSON document, encrypted), no longer readable JSON.
alter table channels alter column secrets type text using secrets::text;
