-- A rule whose pattern ran out of time on a real message is flagged (it matched nothing then): how often, and when last.
alter table routing_rules add column pattern_timeouts int not null default 0, add column pattern_timed_out_at timestamptz;
alter table label_rules add column pattern_timeouts int not null default 0, add column pattern_timed_out_at timestamptz;
