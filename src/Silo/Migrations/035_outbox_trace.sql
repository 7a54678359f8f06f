-- The trace that queued an outbox row (W3C traceparent), so its attempts (a provider send, a webhook) continue it.
-- Set by the transaction that writes the row (set_config('engine.trace_parent', …, true)) when its trace is recorded.
alter table outbox add column trace_parent text default nullif(current_setting('engine.trace_parent', true), '');
