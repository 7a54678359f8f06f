-- A customer's photo, voice note, video, document or sticker: fetched from the provider after the message is stored
-- (outbox topic media.fetch), kept once per content (the store is addressed by SHA-256), served to authorised users.
create table message_media (
    message_id   uuid primary key references messages(id),
    business_id  uuid not null references businesses(id),
    provider_media_id text not null,
    status       text not null default 'pending' check (status in ('pending', 'stored', 'unavailable', 'erased')),
    sha256       text,              -- hex; the stored object's name
    content_type text,
    filename     text,
    size         bigint,
    reason       text,              -- why it is unavailable
    created_at   timestamptz not null,
    updated_at   timestamptz not null
);
create index message_media_sha256 on message_media (sha256) where sha256 is not null;

-- The most a business stores per attachment (WhatsApp's own limits are 5 MB images, 16 MB audio/video, 100 MB documents).
alter table businesses add column media_max_bytes bigint not null default 104857600
    check (media_max_bytes between 1 and 1073741824);
