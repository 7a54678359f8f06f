-- Files agents and integrators upload to send: kept in the media store (content-addressed) under the conversation they
-- were uploaded for, described as measured on upload (type from the bytes, an image's real size).
create table attachments (
    id              uuid primary key,
    business_id     uuid not null references businesses(id),
    conversation_id uuid not null references conversations(id),
    sha256          text not null,
    content_type    text not null,
    filename        text,
    size            bigint not null,
    width           integer,
    height          integer,
    uploaded_by     text not null,
    created_at      timestamptz not null
);
create index attachments_conversation on attachments (conversation_id);
create index attachments_sha256 on attachments (sha256);

-- An outbound attachment's row in message_media is stored from the start; the provider's media id is known only once
-- the send has uploaded it (kept, so a retried send does not upload twice).
alter table message_media alter column provider_media_id drop not null;
alter table message_media add column uploaded_at timestamptz;

-- Whether agents (not only editors and administrators) may start conversations with customers.
alter table businesses add column agents_start_conversations boolean not null default false;
