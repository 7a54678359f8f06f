-- WeChat's plain-mode signature covers token, timestamp and nonce but not the body: every node remembers the nonces
-- it accepted (with the body's hash) until their timestamp leaves the accepted window, so a signed URL seen once
-- cannot carry another body.
create table webhook_nonces (
    channel_id  uuid not null references channels(id) on delete cascade,
    nonce       text not null,
    body_hash   bytea not null,
    expires_at  timestamptz not null,
    primary key (channel_id, nonce)
);
create index webhook_nonces_expiry on webhook_nonces (expires_at);
