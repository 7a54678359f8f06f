-- Tuning the vendored Orleans tables (see shared/spec/orleans.md), and retiring the stand-in's node table:
-- cluster membership is Orleans' own (OrleansMembershipTable).

-- Silos range-read reminders by hash on start, on every membership change and every refresh period.
create index if not exists ix_orleans_reminders_service_hash on orleansreminderstable (serviceid, grainhash);

-- The storage table has no key of its own: one row per grain type and id, so a racing first write cannot
-- leave two rows that later reads would pick between.
create unique index if not exists ux_orleans_storage_grain on orleansstorage
    (serviceid, graintypehash, graintypestring, grainidhash, grainidn0, grainidn1,
     coalesce(grainidextensionstring, ''));

drop table if exists nodes;
