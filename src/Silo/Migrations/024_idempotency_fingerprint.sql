-- What a send with an idempotency key asked for (a hash of the request), so the same key with another request is refused.
alter table messages add column request_hash bytea;
